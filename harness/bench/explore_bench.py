"""explore_bench.py: the `explore` section of scripts/bench (make bench BENCH_ONLY=explore).

On the latent-bug corpus (harness/tests/latent, expect.txt) it measures, per buggy program,
the share of plain runs that show the bug; per strategy, the schedules `threadlab explore`
needs until the first failure over several seeds (median, share found within 100 and within
1000); that every correct twin survives 1000 schedules of each strategy; that failing
schedules replay decision for decision (20 schedules x 10) and that a seed gives the same
schedule every time; the minimised schedule beside the original; and what a scheduled run
costs beside a plain run, threadcheck without the explorer, and TSan, on the corpus and on
the labs (when their programs are built). Knobs: BENCH_EXPLORE_PLAIN (1000 plain runs),
BENCH_EXPLORE_SEEDS (5), BENCH_EXPLORE_SCHEDULES (1000), BENCH_RUNS (cost rounds).
"""
import json
import os
import shutil
import statistics
import subprocess
import tempfile

STRATEGIES = ["pct", "random", "delay"]


def corpus(root):
    """The programs of expect.txt: name, expected outcome, threads, depth."""
    out = []
    with open(os.path.join(root, "harness", "tests", "latent", "expect.txt")) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            out.append({"name": w[0], "expected": w[1], "threads": int(w[2]), "depth": int(w[3])})
    return out


def plain_failures(prog, n, limit=2.0):
    """How many of N plain runs of PROG fail: a non-zero exit, a signal, or a hang past LIMIT s."""
    bad = 0
    for _ in range(n):
        try:
            p = subprocess.run([prog], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=limit)
            bad += p.returncode != 0
        except subprocess.TimeoutExpired:
            bad += 1
    return bad


def explore(b, prog, opts, limit=3600):
    """`threadlab explore OPTS --format json -- PROG`, parsed; None when it did not run."""
    p = subprocess.run([b.threadlab, "explore", *opts, "--format", "json", "--", prog],
                       capture_output=True, text=True, timeout=limit)
    if p.returncode not in (0, 1):
        return None
    return json.loads(p.stdout)


def sched_log(b, prog, env):
    """Runs PROG under the explorer with ENV; returns (its schedule log without the header line,
    which names the pid; the exit status)."""
    d = tempfile.mkdtemp(prefix="explore-bench-")
    e = dict(os.environ, LD_PRELOAD=b.tc_lib, THREADCHECK_SCHED_LOG=os.path.join(d, "s"),
             THREADCHECK_LOG=os.path.join(d, "tc"), **env)
    p = subprocess.run([prog], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    logs = [f for f in os.listdir(d) if f.startswith("s.")]
    body = ""
    if logs:
        with open(os.path.join(d, logs[0])) as f:
            body = f.read().split("\n", 1)[-1]
    shutil.rmtree(d, ignore_errors=True)
    return body, p.returncode


def find_rates(b, prog, strategy, seeds, schedules):
    """Schedules until the first failure for each seed (None: not within SCHEDULES), and the
    outcomes seen."""
    found, outcomes = [], set()
    for k in range(seeds):
        j = explore(b, prog, ["--strategy", strategy, "--seed", str(1 + 1000 * k), "--schedules",
                              str(schedules), "--no-minimize"])
        if j is None:
            found.append(None)
            outcomes.add("error")
            continue
        outcomes.add(j["outcome"])
        found.append(j["schedules"] if j["outcome"] != "none" else None)
    return found, sorted(outcomes)


def summarise(found, schedules):
    """Median schedules to the first failure (None when most seeds found nothing) and the
    shares found within 100 and within SCHEDULES."""
    hits = [x for x in found if x is not None]
    n = len(found)
    med = statistics.median([x if x is not None else float("inf") for x in found]) if found else None
    return {"per_seed": found, "median": None if med == float("inf") else med,
            "within_100": sum(1 for x in hits if x <= 100) / n if n else None,
            f"within_{schedules}": len(hits) / n if n else None}


def replay_check(b, prog, decisions, spec, times):
    """Replays DECISIONS of PROG TIMES times and runs SPEC (its seed) TIMES times: how many
    schedule logs equal the first replay's, and how many seed runs equal the first seed run's."""
    first, rc0 = sched_log(b, prog, {"THREADCHECK_REPLAY": decisions})
    same = sum(1 for _ in range(times) if sched_log(b, prog, {"THREADCHECK_REPLAY": decisions}) == (first, rc0))
    s0 = sched_log(b, prog, {"THREADCHECK_SCHED": spec})
    seeded = sum(1 for _ in range(times) if sched_log(b, prog, {"THREADCHECK_SCHED": spec}) == s0)
    return {"replay_identical": same, "seed_identical": seeded, "times": times, "failing_exit": rc0}


def cost(b, progs, runs, section, rounds):
    """Median wall time of plain, threadcheck, scheduled (PCT) and TSan runs of each PROGS entry
    (name -> (binary, tsan binary or None, steps)), in ROUNDS (scripts/bench's interleaving),
    and the ratios to the plain run."""
    out = {}
    tmp = os.path.join(b.work, "explore")
    os.makedirs(tmp, exist_ok=True)
    for name, (prog, tsan, steps) in progs.items():
        contenders = ["plain", "threadcheck", "scheduled"] + (["tsan"] if tsan else [])

        def one(c, r, prog=prog, tsan=tsan, steps=steps):
            env = {}
            argv = [prog]
            if c in ("threadcheck", "scheduled"):
                env = {"LD_PRELOAD": b.tc_lib, "THREADCHECK_LOG": os.path.join(tmp, "tc")}
            if c == "scheduled":
                env["THREADCHECK_SCHED"] = f"pct:seed={r + 1}:depth=3:steps={steps}"
            if c == "tsan":
                argv = [tsan]
                env = {"TSAN_OPTIONS": f"log_path={tmp}/tsan exitcode=66"}
            rec = b.spawn(argv, 120, env, os.path.join(tmp, f"{name.replace('/', '-')}.{c}.out"))
            # Correct programs only: any failure means the figure is not a run's cost.
            if rec["timed_out"] or rec["exit"] != 0 or rec["signal"] != 0:
                b.problem(section, f"{name} under {c} (round {r}) ended {rec}")
            return rec["wall_s"]

        got = rounds(contenders, runs, one)
        med = {c: statistics.median(v) for c, v in got.items()}
        out[name] = {"wall_s": med, "ratio": {c: med[c] / med["plain"] for c in med if med["plain"] > 0}}
    return out


def lab_programs(b):
    """The labs' fixed programs built by `threadlab check --solutions` (build/labs/...), as
    name -> (program, program-tsan or None)."""
    found = {}
    top = os.path.join(b.build, "labs")
    for dirpath, _, files in os.walk(top):
        if "program" in files and os.sep + "fixed" in dirpath:
            name = os.path.relpath(dirpath, top)
            tsan = os.path.join(dirpath, "program-tsan")
            found[name] = (os.path.join(dirpath, "program"), tsan if os.path.exists(tsan) else None)
    return found


def measure(b, root, rounds, section="explore"):
    """The explore section's results (see the module's docstring); ROUNDS is scripts/bench's
    interleaving of contenders."""
    smoke = b.smoke
    plain_n = 20 if smoke else b_env(b, "BENCH_EXPLORE_PLAIN", 1000)
    seeds = 1 if smoke else b_env(b, "BENCH_EXPLORE_SEEDS", 5)
    schedules = 20 if smoke else b_env(b, "BENCH_EXPLORE_SCHEDULES", 1000)
    progs = corpus(root)[:3] if smoke else corpus(root)
    lat = os.path.join(b.build, "latent")
    res = {"plain_runs": plain_n, "seeds": seeds, "schedules": schedules, "programs": {}, "twins": {},
           "replay": {}, "cost": {}, "note": ("schedules count runs: the default schedule (no preemption) "
                                              "first, then one per seed of the strategy")}
    fails = []
    for p in progs:
        prog = os.path.join(lat, p["name"])
        r = dict(p, plain_failures=plain_failures(prog, plain_n), strategies={})
        r["plain_share"] = r["plain_failures"] / plain_n
        for s in STRATEGIES:
            found, outcomes = find_rates(b, prog, s, seeds, schedules)
            r["strategies"][s] = dict(summarise(found, schedules), outcomes=outcomes)
            # Not finding the bug is a result (the table shows it); failing another way is not.
            wrong = [o for o in outcomes if o not in (p["expected"], "none")]
            if wrong:
                b.problem(section, f"{p['name']} under {s}: expected {p['expected']}, saw {outcomes}")
        j = explore(b, prog, ["--strategy", "pct", "--schedules", str(schedules)])
        if j is not None and j["outcome"] != "none":
            r["minimised"] = {k: j[k] for k in ("choices", "preemptions", "minimal_choices", "minimal_preemptions",
                                                "replayed", "replays")}
            r["steps"] = j["steps"]
            fails.append((p["name"], prog, j["decisions"], f"pct:seed={j['seed']}:depth=3:steps={j['steps']}"))
        res["programs"][p["name"]] = r
        res["twins"][p["name"]] = twin(b, prog + "_ok", schedules, section)
    for name, prog, decisions, spec in fails[:20]:
        res["replay"][name] = replay_check(b, prog, decisions, spec, 3 if smoke else 10)
    res["replay_total"] = sum(v["replay_identical"] for v in res["replay"].values())
    res["seed_total"] = sum(v["seed_identical"] for v in res["replay"].values())
    res["replay_runs"] = sum(v["times"] for v in res["replay"].values())
    costs = {p["name"]: (os.path.join(lat, p["name"] + "_ok"), os.path.join(lat, p["name"] + "_ok-tsan"),
                         res["programs"][p["name"]].get("steps", 100)) for p in progs}
    res["cost"]["corpus"] = cost(b, costs, b.runs, section, rounds)
    labs = {k: (v[0], v[1], 200) for k, v in lab_programs(b).items()}
    res["cost"]["labs"] = cost(b, labs, b.runs, section, rounds) if labs else {}
    return res


def twin(b, prog, schedules, section):
    """Whether the correct twin PROG survives SCHEDULES schedules of every strategy, and how many
    schedules per second explore ran."""
    out = {}
    for s in STRATEGIES:
        j = explore(b, prog, ["--strategy", s, "--schedules", str(schedules)])
        ok = j is not None and j["outcome"] == "none"
        if not ok:
            b.problem(section, f"twin {os.path.basename(prog)} failed under {s}: "
                               f"{j['outcome'] if j else 'explore error'}")
        out[s] = {"survived": ok, "schedules": j["schedules"] if j else 0,
                  "per_second": j["schedules"] / j["seconds"] if j and j["seconds"] > 0 else None}
    return out


def b_env(b, name, default):
    """An integer knob (see scripts/bench's env_int)."""
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip().isdigit() and int(raw) > 0 else default


def rows(S, fmt):
    """The Markdown table's rows of the explore section."""
    out = []
    sch = S["schedules"]
    for name, p in S["programs"].items():
        per = "; ".join(f"{s} median {v['median'] if v['median'] is not None else '>' + str(sch)}, "
                        f"{100 * v['within_100']:.0f}% in 100, {100 * v[f'within_{sch}']:.0f}% in {sch}"
                        for s, v in p["strategies"].items())
        m = p.get("minimised")
        mini = (f"; schedule {m['choices']} decisions / {m['preemptions']} preemptions -> minimised "
                f"{m['minimal_choices']} / {m['minimal_preemptions']}") if m else ""
        out.append((f"explore {name}", f"{p['threads']} threads, depth {p['depth']}, {p['expected']}",
                    f"plain {100 * p['plain_share']:.1f}%", per + mini, "every bug within 1000"))
    for name, t in S["twins"].items():
        surv = all(v["survived"] for v in t.values())
        rate = [v["per_second"] for v in t.values() if v["per_second"]]
        out.append((f"explore twin {name}", f"survives {sch} schedules of {', '.join(t)}",
                    "yes" if surv else "NO", f"{statistics.median(rate):.0f} schedules/s" if rate else "", "yes"))
    out.append(("explore replay", f"{len(S['replay'])} failing schedules x {S['replay_runs'] // max(1, len(S['replay']))}",
                f"{S['replay_total']}/{S['replay_runs']} identical", f"same seed: {S['seed_total']}/{S['replay_runs']}",
                "all"))
    for where in ("corpus", "labs"):
        for name, c in S["cost"].get(where, {}).items():
            r = c["ratio"]
            out.append((f"explore cost {where}", name, f"scheduled {r.get('scheduled', 0):.2f}x plain",
                        f"threadcheck {r.get('threadcheck', 0):.2f}x, tsan {r['tsan']:.2f}x; plain "
                        f"{1000 * c['wall_s']['plain']:.1f} ms" if "tsan" in r else
                        f"threadcheck {r.get('threadcheck', 0):.2f}x; plain {1000 * c['wall_s']['plain']:.1f} ms", ""))
    return out
