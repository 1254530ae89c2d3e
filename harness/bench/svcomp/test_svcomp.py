#!/usr/bin/env python3
"""test_svcomp.py: the SV-COMP bench's own checks, which need no SV-COMP checkout: the task
selector's rules and rewrites on small sources, and verifier.c's behaviour in native runs.

    python3 harness/bench/svcomp/test_svcomp.py [-v]     (scripts/bench --smoke runs it too)
"""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import score  # noqa: E402
import tasks  # noqa: E402


class FakeTask:
    """What the rules look at: folder, source path and text, properties."""

    def __init__(self, text, folder="goblint-regression", source="x.c", props=None):
        self.text, self.folder, self.source = text, folder, source
        self.properties = {"no-data-race": False} if props is None else props
        self.name = f"{folder}/x"

    judged = tasks.Task.judged
    expected = tasks.Task.expected


def rule(text, **kw):
    t = FakeTask(text, **kw)
    for rid, applies, _ in tasks.RULES:
        if applies(t):
            return rid
    return None


MAIN = "int main(void) { return 0; }\n"


class Rules(unittest.TestCase):
    def test_kernel_module(self):
        self.assertEqual(rule("#include <linux/module.h>\n" + MAIN), "kernel-module")

    def test_no_main(self):
        self.assertEqual(rule("void t1(void) {}\n"), "no-main")

    def test_endless_thread_creation(self):
        nested = "int main() { while(1) {\n if (c) {\n pthread_create(&t, 0, f, 0);\n } } }"
        self.assertEqual(rule(nested), "unbounded-threads")
        self.assertEqual(rule("int main() { for (;;) pthread_create(&t, 0, f, 0); }"), "unbounded-threads")
        # A bounded loop, or an endless loop in a thread that creates nothing, is run.
        self.assertIsNone(rule("int main() { for (i = 0; i < 3; i++) pthread_create(&t, 0, f, 0);"
                               " while (1) { x++; } }"))

    def test_weak_memory_and_property(self):
        self.assertEqual(rule(MAIN, folder="pthread-wmm"), "weak-memory")
        self.assertEqual(rule(MAIN, props={"termination": True}), "no-property")

    def test_ilp32_preprocessed(self):
        i32 = "typedef union { char __size[24]; long int __align; } pthread_mutex_t;\n" + MAIN
        self.assertEqual(rule(i32, source="x.i"), "ilp32-preprocessed")
        self.assertIsNone(rule(i32, source="x.c"))

    def test_expected_kinds(self):
        t = FakeTask(MAIN, props={"no-data-race": False, "unreach-call": True, "termination": True})
        self.assertEqual(t.expected(), ["race"])
        self.assertEqual(sorted(t.judged()), ["no-data-race", "unreach-call"])


class Rewrites(unittest.TestCase):
    def test_assume_becomes_a_wait(self):
        out = tasks.rewrite_assumes("void f() { __VERIFIER_assume(m == (0)); assume_abort_if_not(x); }")
        self.assertIn("!(m == (0)); __svc_n++) __svcomp_assume_wait(__svc_n);", out)
        self.assertIn("!(x); __svc_n++)", out)

    def test_assume_declarations_kept(self):
        src = "extern void __VERIFIER_assume(int);\nvoid assume_abort_if_not(int c) { if (!c) abort(); }\n"
        self.assertEqual(tasks.rewrite_assumes(src), src)

    def test_program_text(self):
        t = FakeTask("void reach_error() { }\nvoid __VERIFIER_atomic_inc(int *p) { (*p)++; }\n"
                     "int main() { pthread_create(&t, 0, f, 0); }\n")
        out = tasks.program_text(t)
        self.assertIn("static void __svcomp_task_reach_error(void) {", out)
        self.assertIn("__VERIFIER_atomic_inc(int *p) { __VERIFIER_atomic_begin();", out)
        self.assertIn("__svcomp_pthread_create(&t", out)
        # A preprocessed task keeps its calls: it has its own pthread types.
        self.assertNotIn("__svcomp_pthread_create(&t", tasks.program_text(FakeTask(t.text, source="x.i")))


class Scoring(unittest.TestCase):
    def test_svcomp_verdicts(self):
        p = score.Program("t", "t", ["race"], {"race"})
        self.assertEqual(score.verdict(p, {"race", "thread-leak", "misuse"}), (True, []))
        self.assertEqual(score.verdict(p, {"timeout"}), (False, ["timeout"]))
        self.assertEqual(score.verdict(p, set()), (False, ["missed race"]))
        self.assertEqual(score.verdict(p, {"race", "timeout"}), (True, []))
        clean = score.Program("t", "t", [], {"race"})
        self.assertEqual(score.verdict(clean, {"deadlock"}), (True, []))
        self.assertEqual(score.verdict(clean, {"race"}), (False, ["false race"]))
        # A run that never ended proves no absence of races; a timeout left beside a named
        # deadlock (the plain union) is a timeout all the same.
        self.assertEqual(score.verdict(clean, {"timeout"}), (False, ["timeout"]))
        self.assertEqual(score.verdict(clean, {"deadlock", "timeout"}), (False, ["timeout"]))

    def test_corpus_verdicts_are_exact(self):
        p = score.Program("t", "t", ["deadlock"])
        self.assertEqual(score.verdict(p, {"deadlock", "timeout"}), (False, ["false timeout"]))
        self.assertEqual(score.verdict(p, None), (False, ["no verdict"]))

    def test_sidecar_is_strict(self):
        with tempfile.TemporaryDirectory() as d:
            side = os.path.join(d, "x.expect")
            for body in ("expect: race\nexpectt: clean\n", "expect: rase\n", "expect: clean race\n",
                         "why: no verdict\n"):
                with open(side, "w") as f:
                    f.write(body)
                with self.assertRaises(ValueError, msg=body):
                    score.read_expect(side)
            with open(side, "w") as f:
                f.write("# ok\nexpect: race thread-leak\nwhy: both\n")
            self.assertEqual(score.read_expect(side), (["race", "thread-leak"], "both"))


NATIVE = r'''
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
extern int __VERIFIER_nondet_int(void);
extern void __VERIFIER_assume(int);
extern void __VERIFIER_error(void);
void reach_error() { }
volatile int count; int flag;
void __VERIFIER_atomic_inc(void) { int v = count; sched_yield(); count = v + 1; }
void *adder(void *a) { for (int i = 0; i < 3000; i++) __VERIFIER_atomic_inc(); return a; }
void *setter(void *a) { flag = 1; return a; }
int early;
void *peek(void *a) { *(int *)a = early; return a; }
void *late(void *a) { usleep(20000); write(1, "done\n", 5); return a; }
int main(int argc, char **argv) {
  int mode = atoi(argv[1]);
  pthread_t t1, t2;
  if (mode == 0) {   /* atomic functions are atomic: no lost increment */
    pthread_create(&t1, 0, adder, 0); pthread_create(&t2, 0, adder, 0);
    pthread_join(t1, 0); pthread_join(t2, 0);
    return count == 6000 ? 0 : 3;
  }
  if (mode == 1) { abort(); }                                /* a cut path: exit 0 */
  if (mode == 2) { reach_error(); abort(); }                 /* the error, even with an empty reach_error */
  if (mode == 3) { __VERIFIER_error(); }                     /* the error */
  if (mode == 4) { __VERIFIER_assume(0 == 1); return 5; }    /* never true: ends quietly */
  if (mode == 5) {   /* a wait for another thread's write */
    pthread_create(&t1, 0, setter, 0);
    __VERIFIER_assume(flag == 1);
    return 7;
  }
  if (mode == 6) {   /* the creator runs ahead: the new thread sees its later write */
    int seen = -1;
    pthread_create(&t1, 0, peek, &seen);
    usleep(100000);
    early = 1;
    pthread_join(t1, 0);
    return seen == 1 ? 0 : 8;
  }
  if (mode == 7) {   /* a thread main leaves running still runs during the exit grace */
    pthread_create(&t1, 0, late, 0);
    return 0;
  }
  return 9;
}
'''


class Native(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        src = os.path.join(cls.dir.name, "x.c")
        with open(src, "w") as f:
            f.write(NATIVE)
        d = tasks.prepare(FakeTask(NATIVE, source=src), cls.dir.name)
        cls.exe = os.path.join(d, "a.out")
        subprocess.run(["gcc", "-O1", "-pthread", "-w", "-o", cls.exe, os.path.join(d, "task.c"),
                        os.path.join(d, "verifier.c")], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def native(self, mode, **env):
        """(exit status, stdout) of one native run; the knobs at 0 unless ENV sets them."""
        base = {"SVCOMP_ASSUME_MS": "200", "SVCOMP_EXIT_GRACE_MS": "0", "SVCOMP_START_DELAY_US": "0"}
        p = subprocess.run([self.exe, str(mode)], capture_output=True, text=True, timeout=30,
                           env={**os.environ, **base, **env})
        return p.returncode, p.stdout

    def status(self, mode):
        return self.native(mode)[0]

    def test_atomic_function(self):
        self.assertEqual(self.status(0), 0)

    def test_abort_is_a_cut_path(self):
        self.assertEqual(self.status(1), 0)

    def test_errors_are_sigabrt(self):
        self.assertEqual(self.status(2), -6)
        self.assertEqual(self.status(3), -6)

    def test_start_delay(self):
        self.assertEqual(self.native(6, SVCOMP_START_DELAY_US="1000000")[0], 0)

    def test_exit_grace(self):
        self.assertIn("done", self.native(7, SVCOMP_EXIT_GRACE_MS="500")[1])

    def test_assume(self):
        self.assertEqual(self.status(4), 0)
        self.assertEqual(self.status(5), 7)


if __name__ == "__main__":
    unittest.main()
