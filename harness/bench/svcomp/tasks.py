#!/usr/bin/env python3
"""tasks.py: the SV-COMP task selector: which concurrency tasks of an sv-benchmarks checkout the
bench runs natively, what each is expected to show, and the folder each is built from.

    harness/bench/svcomp/tasks.py DIR [--all]     the selection as a table (task, property,
                                                  expected, decision, reason); --all also lists
                                                  the tasks left out

DIR holds sv-benchmarks' c/ folder (a checkout, or what export.sh writes). Tasks are the .yml
files of c/pthread* and c/goblint-regression; a task is left out by the first rule of RULES that
applies to it, or by a line of exclude.tsv (left out after being measured). README.md explains
each rule and gives the counts.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDERS = re.compile(r"^(pthread.*|goblint-regression)$")
# The expected verdict of a property, as the threadlab kind it is seen as when it is false.
PROPERTY_KIND = {"no-data-race": "race", "unreach-call": "crash"}


class Task:
    """One .yml of the corpus: name (folder/stem), its input file, properties and options."""

    def __init__(self, root, folder, yml):
        self.folder = folder
        self.name = f"{folder}/{yml[:-4]}"
        self.yml = os.path.join(root, "c", folder, yml)
        with open(self.yml, encoding="utf-8", errors="replace") as f:
            text = f.read()
        self.inputs = re.findall(r"['\"]?([\w.+-]+\.[ci])['\"]?", text.split("properties:")[0])
        self.properties = {}
        for prp, verdict in re.findall(r"property_file:\s*\S*?([\w-]+)\.prp\s*\n\s*expected_verdict:\s*(\w+)", text):
            self.properties[prp] = verdict == "true"
        m = re.search(r"data_model:\s*(\w+)", text)
        self.data_model = m.group(1) if m else "ILP32"
        self.source = self.find_source(os.path.join(root, "c", folder))
        self.text = ""
        if self.source:
            with open(self.source, encoding="utf-8", errors="replace") as f:
                self.text = f.read()

    def find_source(self, folder):
        """The file to build: the .yml's input, or its .c twin when the input is a preprocessed
        .i (real headers beat headers preprocessed for another machine); None when missing."""
        if len(self.inputs) != 1:
            return None
        stem, ext = os.path.splitext(self.inputs[0])
        for cand in ([stem + ".c", stem + ".i"] if ext == ".i" else [stem + ".c"]):
            path = os.path.join(folder, cand)
            if os.path.isfile(path):
                return path
        # Older task files name their input by an older name; the .yml's own stem is the other try.
        stem = os.path.splitext(os.path.basename(self.yml))[0]
        for cand in (stem + ".c", stem + ".i"):
            path = os.path.join(folder, cand)
            if os.path.isfile(path):
                return path
        return None

    def judged(self):
        """The properties the bench scores: {property: expected_true}."""
        return {p: v for p, v in self.properties.items() if p in PROPERTY_KIND}

    def expected(self):
        """The threadlab kinds a right verdict reports (sorted): race, crash, or none."""
        return sorted(PROPERTY_KIND[p] for p, ok in self.judged().items() if not ok)


def small_pthread_types(t):
    """A preprocessed .i whose pthread_mutex_t is the 32-bit glibc's 24 bytes."""
    return t.source.endswith(".i") and re.search(r"char __size\[24\];\s*long int __align;\s*}\s*pthread_mutex_t", t.text)


def creates_threads_forever(text):
    """Whether a while (1) or for (;;) loop of TEXT calls pthread_create in its body."""
    for m in re.finditer(r"\b(while\s*\(\s*1\s*\)|for\s*\(\s*;\s*;\s*\))\s*", text):
        i = m.end()
        if text.startswith("{", i):
            depth, j = 0, i
            while j < len(text):
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            body = text[i:j]
        else:
            body = text[i:text.find(";", i) + 1]
        if "pthread_create" in body:
            return True
    return False


# Each rule: (id, applies(task) -> bool, the reason shown in the table and README). First match wins.
RULES = [
    ("no-source", lambda t: t.source is None,
     "the .yml names no single input file that is present"),
    ("no-property", lambda t: not t.judged(),
     "no no-data-race or unreach-call property (termination, memory safety, overflow only)"),
    ("kernel-module", lambda t: re.search(r"#\s*include\s*<linux/", t.text),
     "a Linux kernel module (<linux/*.h>): it builds against kernel headers and runs inside a "
     "kernel, with its entry points called by the kernel"),
    ("no-main", lambda t: not re.search(r"\bmain\s*\(", t.text),
     "no main function: a fragment whose every function the verifier takes as an entry point; "
     "a native run has nothing to start"),
    ("unbounded-threads", lambda t: creates_threads_forever(t.text),
     "creates threads in an endless loop (the verifier checks every number of threads): a native "
     "run creates threads until the system refuses, and never ends"),
    ("weak-memory", lambda t: t.folder == "pthread-wmm",
     "weak-memory litmus tests (TSO/PSO/Power): the bug needs a store reordering that x86 "
     "shows rarely in a bounded native run, and SV-COMP's verdict assumes the model's reorderings"),
    ("ilp32-preprocessed", small_pthread_types,
     "preprocessed with 32-bit glibc headers (pthread_mutex_t of 24 bytes, 40 on x86-64): a "
     "64-bit run overruns every mutex, and TSan has no 32-bit x86 runtime"),
]


def excluded_after_measuring(path=os.path.join(HERE, "exclude.tsv")):
    """{task name: reason} from exclude.tsv (tab-separated; # comments)."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                name, reason = line.split("\t", 1)
                out[name] = reason
    return out


def tasks(root):
    """Every task of the concurrency folders of ROOT, sorted by name."""
    found = []
    cdir = os.path.join(root, "c")
    for folder in sorted(os.listdir(cdir)):
        if FOLDERS.match(folder) and os.path.isdir(os.path.join(cdir, folder)):
            for yml in sorted(os.listdir(os.path.join(cdir, folder))):
                if yml.endswith(".yml"):
                    found.append(Task(root, folder, yml))
    return found


def decide(t, measured):
    """(rule id, reason) that leaves T out, or (None, None) when the bench runs it."""
    for rid, applies, reason in RULES:
        if applies(t):
            return rid, reason
    if t.name in measured:
        return "measured", measured[t.name]
    return None, None


def rewrite_assumes(text):
    """The source with each assume statement, "__VERIFIER_assume(c);" or the tasks' own
    "assume_abort_if_not(c);", turned into a loop that waits for c (see verifier.c);
    declarations, definitions and any other use are left as they are."""
    out, i = [], 0
    for m in re.finditer(r"\b(__VERIFIER_assume|assume_abort_if_not)\s*\(", text):
        if m.start() < i:
            continue
        before = text[max(0, m.start() - 40):m.start()]
        if re.search(r"\b(void|extern|int)\s*$", before):
            continue
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        k = j
        while k < len(text) and text[k] in " \t\n":
            k += 1
        if depth or k >= len(text) or text[k] != ";":
            continue
        cond = text[m.end():j - 1]
        out.append(text[i:m.start()])
        out.append(f"for (unsigned long __svc_n = 0; !({cond}); __svc_n++) __svcomp_assume_wait(__svc_n)")
        i = k
    out.append(text[i:])
    return "".join(out)


ATOMIC_DEF = re.compile(r"(\b__VERIFIER_atomic_(?!begin\b|end\b)\w+\s*\([^;{()]*\)\s*)\{")
PROLOGUE = ("/* Added by the bench (harness/bench/svcomp/tasks.py): see verifier.c. */\n"
            "void __svcomp_assume_wait(unsigned long); void __svcomp_atomic_leave(int *);\n"
            "void __VERIFIER_atomic_begin(void); void __VERIFIER_atomic_end(void);\n"
            "void reach_error(void);\n")


REACH_ERROR_DEF = re.compile(r"\bvoid\s+reach_error\s*\(\s*(void)?\s*\)\s*\{")


PTHREAD_CREATE_CALL = re.compile(r"\bpthread_create(\s*\()")


def program_text(t):
    """The task's source as the bench builds it: assumes waiting, atomic functions atomic, and
    the task's own reach_error renamed, so that its calls reach verifier.c's."""
    text = rewrite_assumes(t.text)
    text = REACH_ERROR_DEF.sub("static void __svcomp_task_reach_error(void) {", text)
    prologue = PROLOGUE
    # A preprocessed task carries its own copy of the pthread types: pthread.h would clash.
    if t.source.endswith(".c"):
        text = PTHREAD_CREATE_CALL.sub(r"__svcomp_pthread_create\1", text)
        prologue += ("#include <pthread.h>\nint __svcomp_pthread_create(pthread_t *, const pthread_attr_t *, "
                     "void *(*)(void *), void *);\n")
    text = ATOMIC_DEF.sub(lambda m: m.group(1) + "{ __VERIFIER_atomic_begin(); "
                          "int __svc_guard __attribute__((cleanup(__svcomp_atomic_leave))) = 0; "
                          "(void)__svc_guard; ", text)
    # The prologue goes after any leading #line marker-free comment; line numbers move by 3,
    # which a #line directive puts back.
    return prologue + '#line 1 "task.c"\n' + text


def prepare(t, work):
    """Writes WORK/<folder>__<stem>/ with the task (as task.c) and verifier.c; returns its path.
    A folder of .c files is built by threadlab as one program."""
    d = os.path.join(work, t.name.replace("/", "__"))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "task.c"), "w") as f:
        f.write(program_text(t))
    with open(os.path.join(HERE, "verifier.c")) as src, open(os.path.join(d, "verifier.c"), "w") as dst:
        dst.write(src.read())
    return d


def main(argv):
    if len(argv) < 2 or not os.path.isdir(os.path.join(argv[1], "c")):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    measured = excluded_after_measuring()
    for t in tasks(argv[1]):
        rid, reason = decide(t, measured)
        if rid is None or "--all" in argv:
            props = ",".join(f"{p}={'true' if v else 'false'}" for p, v in t.properties.items())
            print(f"{t.name}\t{props}\t{' '.join(t.expected()) or 'clean'}\t{rid or 'run'}\t{reason or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
