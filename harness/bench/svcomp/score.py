#!/usr/bin/env python3
"""score.py: runs `threadlab analyze` on a corpus of programs with known verdicts and scores each
tool alone, the plain union of the tools, and threadlab's judged verdict against them.

    harness/bench/svcomp/score.py --svcomp DIR [--subset default|all] [options]
    harness/bench/svcomp/score.py --corpus DIR [options]
options: --build BUILD (default build)  --jobs N (2)  --timeout S (one tool run, 10)
         --runs N (threadlab's --runs, 1)  --threadlab PATH (default BUILD/bin/threadlab: e.g. a
         build with the judge)  --out FILE (results JSON)  --only NAME,...  --work DIR

--svcomp: the tasks of an sv-benchmarks checkout that tasks.py selects; a task is right when the
reported kinds, minus thread-leak, decide its property as the .yml says (README.md: Scoring).
--corpus: each NAME.c beside a NAME.expect ("expect: KIND..." or "expect: clean"); a program is
right when the reported kinds are exactly the expected ones.
Exit status: 0 scored, 1 a run failed (threadlab's own error, a missing report), 2 usage.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)
import tasks as svtasks  # noqa: E402

TOOLS = ["tsan", "helgrind", "threadcheck"]
COLUMNS = TOOLS + ["union", "judged"]
# The default SV-COMP subset: the folders whose tasks are small, run in about a second each under
# every tool, and together take under ten minutes on 2 cores (README.md gives the timings).
DEFAULT_FOLDERS = ("goblint-regression", "pthread", "pthread-atomic", "pthread-lit")
# Kinds no SV-COMP property speaks about: main's return ends a C program with its threads, and
# SV-COMP's tasks rely on that, so a thread still running at exit is not a bug there.
SVCOMP_IGNORED = {"thread-leak"}
EXPECT_KEYS = {"expect", "why"}
KINDS = {"race", "lock-order", "deadlock", "thread-leak", "misuse", "timeout", "crash", "test-fail", "interference"}


class Program:
    """One program to score: its name, the path threadlab analyzes, the expected kinds and
    which reported kinds the score looks at (None: all of them)."""

    def __init__(self, name, path, expected, judged_kinds=None, why=""):
        self.name, self.path, self.expected = name, path, sorted(expected)
        self.judged_kinds, self.why = judged_kinds, why


def read_expect(path):
    """The expected kinds and reason of a corpus sidecar; raises ValueError naming the line."""
    keys = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition(":")
            if not sep or key.strip() not in EXPECT_KEYS or key.strip() in keys:
                raise ValueError(f"{path}:{n}: unknown, repeated or malformed line: {line}")
            keys[key.strip()] = value.strip()
    kinds = keys.get("expect", "").split()
    bad = [k for k in kinds if k not in KINDS and k != "clean"]
    if not kinds or bad or ("clean" in kinds and len(kinds) > 1):
        raise ValueError(f"{path}: expect: must be 'clean' or threadlab kinds, got {kinds}")
    return [k for k in kinds if k != "clean"], keys.get("why", "")


def corpus_programs(d):
    """The programs of corpus folder D: each NAME.c with its NAME.expect; ValueError if one lacks it."""
    out = []
    for f in sorted(os.listdir(d)):
        if f.endswith(".c"):
            side = os.path.join(d, f[:-2] + ".expect")
            if not os.path.isfile(side):
                raise ValueError(f"{os.path.join(d, f)} has no sidecar {side}")
            kinds, why = read_expect(side)
            out.append(Program(f[:-2], os.path.join(d, f), kinds, None, why))
    return out


def svcomp_programs(root, subset, work):
    """(programs to run, [(task, rule, reason)] left out)."""
    measured = svtasks.excluded_after_measuring()
    progs, left = [], []
    for t in svtasks.tasks(root):
        rid, reason = svtasks.decide(t, measured)
        if rid is None and subset == "default" and t.folder not in DEFAULT_FOLDERS:
            rid, reason = "not-default", "outside the default subset (--subset all runs it)"
        if rid is not None:
            left.append((t.name, rid, reason))
            continue
        judged = {svtasks.PROPERTY_KIND[p] for p in t.judged()}
        progs.append(Program(t.name, svtasks.prepare(t, work), t.expected(), judged))
    return progs, left


def reported(p, tool_json, program_json):
    """Each column's reported kinds for one program: None when the column has no verdict
    (a tool that did not run; no judge in this threadlab)."""
    out = {}
    for tool in TOOLS:
        t = tool_json.get(tool)
        out[tool] = set(t["kinds"]) if t and t.get("status") == "ran" else None
    ran = [out[t] for t in TOOLS if out[t] is not None]
    out["union"] = set().union(*ran) if ran else None
    out["judged"] = set(program_json["kinds"]) if "kinds" in program_json else None
    return out


def verdict(p, kinds):
    """(right, [miss categories]) of one column's KINDS for program P."""
    if kinds is None:
        return False, ["no verdict"]
    seen = set(kinds)
    if p.judged_kinds is not None:
        # SV-COMP: only the property's own kinds decide. A run that timed out decided nothing
        # (SV-COMP's "unknown", never a right answer) unless it had shown the violation the task
        # expects first: a timeout is a miss on a task with no violation too, where its
        # silence proves nothing. A named deadlock without a timeout is a verdict (the tool saw
        # why the run stopped); a column that says "timeout" beside it has not explained it.
        timed_out = "timeout" in seen
        seen = (seen - SVCOMP_IGNORED) & p.judged_kinds
        if set(p.expected) == seen and (p.expected or not timed_out):
            return True, []
        if timed_out:
            return False, ["timeout"]
    else:
        seen -= {"build-error"}
    exp = set(p.expected)
    if seen == exp:
        return True, []
    return False, sorted([f"missed {k}" for k in exp - seen] + [f"false {k}" for k in seen - exp])


def run_chunk(threadlab, build, chunk, jobs, timeout, runs=1):
    """threadlab analyze on CHUNK's paths; {path: program json}. A failed run returns {}."""
    cmd = [threadlab, "analyze", "--format", "json", "-j", str(jobs), "--timeout", str(timeout), "--runs", str(runs)]
    cmd += [p.path for p in chunk]
    env = dict(os.environ, THREADLAB_BUILD=build, NO_COLOR="1")
    limit = 60 + len(chunk) * timeout * 4 * runs
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, env=env)
    except subprocess.TimeoutExpired:
        print(f"score: threadlab analyze ran over {limit} s on {chunk[0].name}...", file=sys.stderr)
        return {}
    if r.returncode not in (0, 1):
        print(f"score: threadlab analyze exit {r.returncode}: {r.stderr.strip()[:400]}", file=sys.stderr)
        return {}
    return {os.path.realpath(q["path"]): q for q in json.loads(r.stdout)["programs"]}


def build_error(q):
    """Whether every tool of program json Q reports the build failing (nothing ran)."""
    return all(("build-error" in t.get("kinds", [])) for t in q["tools"].values())


def score(progs, threadlab, build, jobs, timeout, runs=1, chunk_size=8):
    """Runs and scores PROGS; returns (totals, rows, runs that gave no report)."""
    rows, failed = [], 0
    for i in range(0, len(progs), chunk_size):
        chunk = progs[i:i + chunk_size]
        t0 = time.monotonic()
        got = run_chunk(threadlab, build, chunk, jobs, timeout, runs)
        print(f"score: {min(i + chunk_size, len(progs))}/{len(progs)} ({time.monotonic() - t0:.0f} s)",
              file=sys.stderr, flush=True)
        for p in chunk:
            q = got.get(os.path.realpath(p.path))
            if q is None:
                failed += 1
                rows.append({"name": p.name, "expected": p.expected, "error": "no report"})
                continue
            if build_error(q):
                msg = [f.get("message", "") for t in q["tools"].values() for f in t.get("findings", [])]
                rows.append({"name": p.name, "expected": p.expected, "build_error": (msg or [""])[0][:300]})
                continue
            cols = reported(p, q["tools"], q)
            row = {"name": p.name, "expected": p.expected, "columns": {}, "seconds":
                   round(q.get("build_seconds", 0) + sum(t.get("seconds", 0) for t in q["tools"].values()), 2)}
            for c in COLUMNS:
                right, misses = verdict(p, cols[c])
                row["columns"][c] = {"kinds": sorted(cols[c]) if cols[c] is not None else None,
                                     "right": right, "misses": misses}
            rows.append(row)
    return totals(rows), rows, failed


def totals(rows):
    """Per column: programs exactly right and misses by category, over the scored ROWS."""
    scored = [r for r in rows if "columns" in r]
    out = {"programs": len(scored), "build_errors": sum(1 for r in rows if r.get("build_error")),
           "no_report": sum(1 for r in rows if "error" in r), "columns": {}}
    for c in COLUMNS:
        misses = {}
        for r in scored:
            for m in r["columns"][c]["misses"]:
                misses[m] = misses.get(m, 0) + 1
        out["columns"][c] = {"right": sum(1 for r in scored if r["columns"][c]["right"]), "misses": misses}
    return out


def table(tot, title):
    """The Markdown table of one corpus's totals."""
    n = tot["programs"]
    lines = [f"{title}: {n} programs scored"
             + (f", {tot['build_errors']} did not build" if tot["build_errors"] else "")
             + (f", {tot['no_report']} without a report" if tot["no_report"] else ""),
             "", "| verdict of | exactly right | misses by category |", "| --- | --- | --- |"]
    for c in COLUMNS:
        col = tot["columns"][c]
        if c == "judged" and col["misses"].get("no verdict") == n and n:
            lines.append("| threadlab (judged) | judge not present | |")
            continue
        miss = ", ".join(f"{k} {v}" for k, v in sorted(col["misses"].items(), key=lambda kv: (-kv[1], kv[0])))
        name = {"union": "union of the tools", "judged": "threadlab (judged)"}.get(c, f"{c} alone")
        lines.append(f"| {name} | {col['right']} / {n} | {miss} |")
    return "\n".join(lines)


def program_table(rows):
    """A Markdown table with one row per program: expected kinds and each column's kinds, a
    column that is not exactly right marked with "x"."""
    out = ["| program | expected | " + " | ".join(COLUMNS) + " |", "|" + " --- |" * (2 + len(COLUMNS))]
    for r in rows:
        if "columns" not in r:
            out.append(f"| {r['name']} | {' '.join(r['expected']) or 'clean'} | not run |" + " |" * len(COLUMNS))
            continue
        cells = []
        for c in COLUMNS:
            v = r["columns"][c]
            kinds = "-" if v["kinds"] is None else (" ".join(v["kinds"]) or "clean")
            cells.append(kinds if v["right"] or v["kinds"] is None else f"x {kinds}")
        out.append(f"| {r['name']} | {' '.join(r['expected']) or 'clean'} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def fresh_build(build, name):
    """A build folder for these runs holding threadcheck's library (threadlab takes both from
    THREADLAB_BUILD), so build/analyze is left alone."""
    d = os.path.join(build, "bench", "work", name)
    shutil.rmtree(os.path.join(d, "analyze"), ignore_errors=True)
    os.makedirs(os.path.join(d, "lib"), exist_ok=True)
    shutil.copy2(os.path.join(build, "lib", "libthreadcheck.so"), os.path.join(d, "lib"))
    return d


def run(kind, source, build, jobs=2, timeout=10, subset="default", only=None, work=None, runs=1,
        threadlab=None):
    """Scores one corpus (kind 'svcomp' or 'corpus'); returns the results dict."""
    build = os.path.abspath(build)
    threadlab = threadlab or os.path.join(build, "bin", "threadlab")
    wb = fresh_build(build, kind)
    t0 = time.monotonic()
    left = []
    if kind == "svcomp":
        work = work or os.path.join(wb, "tasks")
        shutil.rmtree(work, ignore_errors=True)
        progs, left = svcomp_programs(source, subset, work)
    else:
        progs = corpus_programs(source)
    if only:
        progs = [p for p in progs if p.name in only or os.path.basename(p.name) in only]
    tot, rows, failed = score(progs, threadlab, wb, jobs, timeout, runs)
    left_counts = {}
    for _, rid, _ in left:
        left_counts[rid] = left_counts.get(rid, 0) + 1
    return {"kind": kind, "source": os.path.abspath(source), "subset": subset if kind == "svcomp" else None,
            "timeout": timeout, "runs": runs, "jobs": jobs, "threadlab": threadlab, "seconds": round(time.monotonic() - t0, 1),
            "totals": tot, "left_out": left_counts, "left_out_tasks": left, "programs": rows,
            "failed_runs": failed}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--svcomp", metavar="DIR")
    g.add_argument("--corpus", metavar="DIR")
    ap.add_argument("--subset", choices=["default", "all"], default="default")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=10)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--threadlab")
    ap.add_argument("--only", default="")
    ap.add_argument("--out")
    ap.add_argument("--work")
    ap.add_argument("--programs", action="store_true", help="also print one table row per program")
    a = ap.parse_args()
    kind, source = ("svcomp", a.svcomp) if a.svcomp else ("corpus", a.corpus)
    if kind == "svcomp" and not os.path.isdir(os.path.join(source, "c")):
        print(f"score: {source} has no c/ folder (an sv-benchmarks checkout, or export.sh's output)", file=sys.stderr)
        return 2
    try:
        res = run(kind, source, a.build, a.jobs, a.timeout, a.subset, [s for s in a.only.split(",") if s], a.work,
                  a.runs, a.threadlab)
    except ValueError as e:
        print(f"score: {e}", file=sys.stderr)
        return 2
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)
    print(table(res["totals"], f"{kind} ({source})"))
    print(f"\n{res['seconds']} s; left out: {res['left_out'] or 'none'}")
    if a.programs:
        print("\n" + program_table(res["programs"]))
    return 1 if res["failed_runs"] else 0


if __name__ == "__main__":
    sys.exit(main())
