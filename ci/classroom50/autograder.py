#!/usr/bin/env python3
"""autograder.py: Classroom 50's per-assignment entrypoint for threadlab.

Classroom 50's runner (runner.py) runs it once per submission, in the student's checkout (the
working folder), with this bundle's folder in CLASSROOM50_BUNDLE_DIR. It installs what the
bundle's toolkit needs (its scripts/install-deps; the assignment's runtime is a Debian 12 container
with Python, see assignments.json), builds it, grades the checkout's labs/NN-slug/ files with
it (never with the checkout's own copy of the toolkit, which the student controls), and writes
result.json (classroom50/result/v1: one test per lab item, with its points) and release-body.md
(the score and the per-item table) in the checkout.

The grading runs in the job's throw-away container on a throw-away runner VM: --sandbox
platform-container lets threadlab accept it when bubblewrap cannot start there (a job container
gets Docker's default seccomp profile); bubblewrap is used whenever it can start. The first test,
worth no points, says which.

bundle.conf (written by threadlab export): LABS, RUNS, RUN_TIMEOUT (grade --timeout; empty for
each lab's own). A submission threadlab cannot grade
(exit 2) makes this exit 1: the runner then publishes an error result with the reason.
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

BUNDLE = os.environ.get("CLASSROOM50_BUNDLE_DIR") or os.path.dirname(os.path.abspath(__file__))
TOOLKIT = os.path.join(BUNDLE, "threadlab")

# result.json's fields that the runner knows and threadlab does not: (field, environment
# variables tried in order). The runner overwrites owner, assignment_type and datetime itself.
IDENTITY = [
    ("classroom", ("CLASSROOM",)),
    ("assignment", ("ASSIGNMENT",)),
    ("assignment_type", ("ASSIGNMENT_TYPE",)),
    ("owner", ("OWNER", "USERNAME")),
    ("submission", ("SUBMISSION_TAG",)),
    ("commit", ("COMMIT_URL",)),
    ("release", ("RELEASE_URL",)),
    ("review", ("REVIEW_URL", "COMMIT_URL")),
]


def fail(message):
    """Says why on stderr and exits 1 (the runner turns it into an error result)."""
    print(f"autograder.py: {message}", file=sys.stderr)
    sys.exit(1)


def read_conf():
    """bundle.conf's KEY=VALUE lines, as a dict."""
    conf = {}
    with open(os.path.join(BUNDLE, "bundle.conf")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                conf[key] = value
    return conf


def prepare():
    """Installs the toolkit's packages, lets bubblewrap make user namespaces where the kernel
    restricts them, and builds the toolkit (each step does nothing when already done)."""
    steps = [
        [os.path.join(TOOLKIT, "scripts", "install-deps")],
        [os.path.join(TOOLKIT, "ci", "allow-userns")],
        ["make", "-C", TOOLKIT, "-j", str(os.cpu_count() or 2), "all"],
    ]
    for step in steps:
        if subprocess.run(step, stdout=sys.stderr).returncode != 0:
            fail(f"{' '.join(step)} failed")


def open_to_others():
    """As root (a job container), every graded run gets an unprivileged uid of its own only when
    the toolkit is readable by other users and every folder above it open to them."""
    if os.geteuid() != 0:
        return
    for top, dirs, files in os.walk(TOOLKIT):
        for name in dirs + files:
            path = os.path.join(top, name)
            if not os.path.islink(path):
                mode = os.stat(path).st_mode
                os.chmod(path, mode | 0o044 | (0o011 if mode & 0o100 else 0))
    os.chmod(TOOLKIT, os.stat(TOOLKIT).st_mode | 0o005)
    d = os.path.dirname(TOOLKIT)
    while d != "/":
        os.chmod(d, os.stat(d).st_mode | 0o001)
        d = os.path.dirname(d)


def grade(conf):
    """Grades the checkout; returns threadlab's classroom50 result (score, max-score, tests)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "grade.json")
        cmd = [os.path.join(TOOLKIT, "build", "bin", "threadlab"), "grade", os.getcwd(),
               "--runs", conf.get("RUNS", "3"), "--sandbox", "platform-container",
               "--format", "classroom50", "--out", out]
        if conf.get("LABS"):
            cmd += ["--lab", conf["LABS"]]
        if conf.get("RUN_TIMEOUT"):
            cmd += ["--timeout", conf["RUN_TIMEOUT"]]
        rc = subprocess.run(cmd).returncode
        if rc not in (0, 1):
            fail(f"threadlab could not grade this submission (exit {rc}); see the log above")
        with open(out) as f:
            return json.load(f)


def stamp(result):
    """Adds the runner's fields from its environment; fails naming one that is missing."""
    for field, names in IDENTITY:
        value = next((os.environ[n] for n in names if os.environ.get(n)), None)
        if value is None and field == "assignment_type":
            value = "individual"
        if value is None:
            fail(f"{' or '.join(names)} is not set: run by Classroom 50's runner?")
        result[field] = value
    result["datetime"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return result


def release_body(result):
    """The release's Markdown: the score, and a table of the items with what was lost."""
    lines = [f"### threadlab: {result['score']}/{result['max-score']}", "",
             "| item | result | points | feedback |", "|---|---|---|---|"]
    for test in result["tests"]:
        cells = [test["test-name"], "PASS" if test["passed"] else "FAIL",
                 f"{test['score']} / {test['max-score']}", test.get("message", "")]
        cells = [str(c).replace("|", "\\|").replace("\n", " ") for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main():
    conf = read_conf()
    prepare()
    open_to_others()
    result = stamp(grade(conf))
    with open("result.json", "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    with open("release-body.md", "w") as f:
        f.write(release_body(result))
    print(f"autograder.py: {result['score']}/{result['max-score']}")


if __name__ == "__main__":
    main()
