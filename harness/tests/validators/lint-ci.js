#!/usr/bin/env node
// lint-ci.js: lints threadlab's CI templates: GitHub workflows with actionlint and GitLab CI files
// with a JSON schema, then both against the least-privilege rules below.
//
//   node harness/tests/validators/lint-ci.js FILE...
//
// A FILE whose name ends in .gitlab-ci.yml is a GitLab CI file; any other is a GitHub workflow.
// Each problem is printed as FILE:LINE: RULE: message. Exit status: 0 no problem, 1 problems,
// 2 usage error or a linter missing (npm ci in harness/tests/validators:
// scripts/install-deps --validators).
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..", "..", "..");
const PINS = path.join(ROOT, "ci", "pins.txt");
const GITLAB_SCHEMA = path.join(ROOT, "ci", "gitlab", "schema.json");

function need(name) {
  try {
    return require(name);
  } catch (e) {
    console.error(`lint-ci: ${name} is not installed (scripts/install-deps --validators): ${e.message}`);
    process.exit(2);
  }
}

// Go's WebAssembly runtime (actionlint) wants Web Crypto as a global, which Node 18 lacks.
if (!globalThis.crypto) globalThis.crypto = require("node:crypto").webcrypto;
const YAML = need("yaml");

// ---- one parsed file: its data, and the line of any path in it ----------------------------------

function load(file) {
  const text = fs.readFileSync(file, "utf8");
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const found = [];
  const f = {
    file,
    text,
    data: doc.errors.length ? null : doc.toJS(),
    line(at) {
      for (let p = at.slice(); ; p = p.slice(0, -1)) {
        const pair = p.length ? doc.getIn(p, true) : doc.contents;
        if (pair && pair.range) return lines.linePos(pair.range[0]).line;
        if (!p.length) return 1;
      }
    },
    problem(at, rule, message) {
      found.push({ line: typeof at === "number" ? at : f.line(at), rule, message });
    },
    found,
  };
  for (const e of doc.errors) f.problem(lines.linePos(e.pos[0]).line, "yaml", e.message.split("\n")[0]);
  if (!doc.errors.length && (f.data === null || typeof f.data !== "object" || Array.isArray(f.data))) {
    f.problem(1, "yaml", "the file is not a mapping of keys");
    f.data = null;
  }
  return f;
}

// Every string value under VALUE, with its path.
function* strings(value, at = []) {
  if (typeof value === "string") yield [value, at];
  else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* strings(value[i], at.concat(i));
  else if (value && typeof value === "object") for (const k of Object.keys(value)) yield* strings(value[k], at.concat(k));
}

// ---- rules shared by both CI systems ------------------------------------------------------------

// Text that must appear in no value of a template, each with its reason.
const FORBIDDEN = [
  [/--privileged\b|privileged\s*[:=]\s*true/, "no-privileged",
    "a privileged container is root on the runner; bubblewrap needs user namespaces, not privileges"],
  [/--cap-add\b/, "no-privileged", "no capability beyond the container's defaults is needed"],
  [/--unsafe-no-sandbox\b/, "fail-closed",
    "grading must refuse without its sandbox; a template never passes --unsafe-no-sandbox"],
];

function forbidden(f) {
  for (const [s, at] of strings(f.data))
    for (const [re, rule, why] of FORBIDDEN) if (re.test(s)) f.problem(at, rule, why);
}

// ---- GitHub Actions -----------------------------------------------------------------------------

// ci/pins.txt: ACTION SHA TAG lines, each followed by indented lines of the action's inputs.
function readPins() {
  const pins = new Map();
  let last = null;
  for (const raw of fs.readFileSync(PINS, "utf8").split("\n")) {
    if (raw.startsWith("#") || raw.trim() === "") continue;
    if (/^\s/.test(raw)) {
      for (const input of raw.trim().split(/\s+/)) last.inputs.add(input);
    } else {
      const [action, sha, tag] = raw.trim().split(/\s+/);
      last = { sha, tag, inputs: new Set() };
      pins.set(action, last);
    }
  }
  return pins;
}

// The package's lint entry by its file: its main module also loads chalk, an ES module that
// Node 18 (Debian 12's) cannot require.
const ACTIONLINT = path.join(__dirname, "node_modules", "@tktco", "node-actionlint", "build", "run-lint.js");

async function actionlint(f) {
  const { runLint } = need(ACTIONLINT);
  for (const r of await runLint(f.text, f.file)) f.problem(r.line, `actionlint/${r.kind}`, r.message);
}

function jobs(f) {
  const j = (f.data && f.data.jobs) || {};
  return Object.keys(j).map((id) => [id, j[id] || {}]);
}

const WRITE = (perms) => perms && typeof perms === "object" && Object.values(perms).some((v) => v === "write");

// The workflow's token: nothing by default, each job asks; a token that may write shares no job
// with a run step, which is where student code runs.
function githubPermissions(f) {
  const top = f.data.permissions;
  if (top === undefined) f.problem([], "permissions", "no top-level permissions: jobs would get the default token");
  else if (top === "write-all" || WRITE(top)) f.problem(["permissions"], "permissions", "write at workflow level");
  for (const [id, job] of jobs(f)) {
    if (job.permissions === undefined)
      f.problem(["jobs", id], "permissions", `job ${id} names no permissions`);
    else if (job.permissions === "write-all" || job.permissions === "read-all")
      f.problem(["jobs", id, "permissions"], "permissions", `job ${id}: name each scope, not ${job.permissions}`);
    else if (WRITE(job.permissions) && (job.steps || []).some((s) => s.run !== undefined))
      f.problem(["jobs", id, "permissions"], "write-runs-nothing",
        `job ${id} may write and has run steps: a writing token shares no job with graded code`);
  }
}

function githubJobLimits(f) {
  for (const [id, job] of jobs(f)) {
    const t = job["timeout-minutes"];
    if (t === undefined) f.problem(["jobs", id], "timeout", `job ${id} has no timeout-minutes (default: 6 hours)`);
    else if (typeof t === "number" && t > 120) f.problem(["jobs", id, "timeout-minutes"], "timeout", `job ${id}: over 120 minutes`);
    if (job.container) f.problem(["jobs", id, "container"], "no-job-container",
      `job ${id}: a job container cannot reach the host to allow user namespaces; use ci/in-debian`);
  }
}

// The `# TAG` comment after each `uses:` line, by line number.
function usesComments(text) {
  const tags = new Map();
  text.split("\n").forEach((l, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*\S+\s+#\s*(\S+)/.exec(l);
    if (m) tags.set(i + 1, m[1]);
  });
  return tags;
}

function githubSteps(f, pins) {
  const tags = usesComments(f.text);
  for (const [id, job] of jobs(f)) {
    (job.steps || []).forEach((step, n) => {
      const at = ["jobs", id, "steps", n];
      if (step.run !== undefined && /\$\{\{/.test(step.run))
        f.problem(at.concat("run"), "no-expression-in-run", "an expression in run: is pasted into the script; pass it through env:");
      if (step.uses !== undefined) githubUses(f, pins, tags, at, step);
    });
  }
}

function githubUses(f, pins, tags, at, step) {
  const line = f.line(at.concat("uses"));
  const action = step.uses.split("@")[0];
  if (action === "actions/checkout" && !(step.with && step.with["persist-credentials"] === false))
    f.problem(at, "persist-credentials", "actions/checkout without persist-credentials: false leaves the token in .git/config");
  const m = /^([^@\s]+)@([0-9a-f]{40})$/.exec(step.uses);
  if (!m) return f.problem(line, "pinned", `${step.uses}: not pinned by a full commit SHA`);
  const pin = pins.get(action);
  if (!pin) return f.problem(line, "pinned", `${action} is not in ci/pins.txt`);
  if (pin.sha !== m[2]) f.problem(line, "pinned", `${action}@${m[2]}: ci/pins.txt pins ${pin.sha} (${pin.tag})`);
  if (tags.get(line) !== pin.tag) f.problem(line, "pinned", `${action}: the comment must name its tag, # ${pin.tag}`);
  for (const k of Object.keys(step.with || {}))
    if (!pin.inputs.has(k)) f.problem(at.concat("with", k), "inputs", `${action} ${pin.tag} has no input ${k}`);
}

async function github(f) {
  await actionlint(f);
  if (!f.data) return;
  githubPermissions(f);
  githubJobLimits(f);
  githubSteps(f, readPins());
  forbidden(f);
}

// ---- GitLab CI ------------------------------------------------------------------------------------

const GITLAB_GLOBAL = new Set(["variables", "stages", "include", "default", "workflow"]);

function gitlabSchema(f) {
  const Ajv = need("ajv/dist/2020");
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(GITLAB_SCHEMA, "utf8")));
  if (validate(f.data)) return;
  for (const e of validate.errors) {
    const at = e.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const extra = e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : "";
    const what = e.keyword === "not" ? "has a job-level when next to rules (give the rule its when:)" : e.message;
    f.problem(extra ? at.concat(e.params.additionalProperty) : at, "schema", `${e.instancePath || "/"} ${what}${extra}`);
  }
}

// A job with its extends applied: hashes merged key by key, anything else replaced (GitLab's rule).
function resolve(data, name, depth = 0) {
  const job = data[name] || {};
  if (depth > 10 || job.extends === undefined) return job;
  let merged = {};
  for (const parent of [].concat(job.extends)) merged = merge(merged, resolve(data, parent, depth + 1));
  return merge(merged, job);
}

function merge(a, b) {
  const out = { ...a };
  for (const k of Object.keys(b)) {
    const both = a[k] && b[k] && typeof a[k] === "object" && typeof b[k] === "object";
    out[k] = both && !Array.isArray(a[k]) && !Array.isArray(b[k]) ? merge(a[k], b[k]) : b[k];
  }
  return out;
}

function gitlabJobs(f) {
  const d = f.data || {};
  return Object.keys(d)
    .filter((k) => !GITLAB_GLOBAL.has(k) && !k.startsWith("."))
    .map((k) => [k, resolve(d, k)]);
}

// The job token: kept out of .git/config, dropped before the job's own commands; artifacts (the
// students' grades) for project members only; a timeout on every job.
function gitlabLeastPrivilege(f) {
  const vars = f.data.variables || {};
  if (vars.FF_GIT_URLS_WITHOUT_TOKENS !== "true")
    f.problem(["variables"], "token-not-in-git-config", "set FF_GIT_URLS_WITHOUT_TOKENS: \"true\" (the token stays out of .git/config)");
  for (const [id, job] of gitlabJobs(f)) {
    if (job.timeout === undefined) f.problem([id], "timeout", `job ${id} has no timeout (default: the project's, 1 hour or more)`);
    const first = [].concat(job.before_script || [])[0] || "";
    if (!/^unset\b.*\bCI_JOB_TOKEN\b.*\bCI_REPOSITORY_URL\b/.test(first))
      f.problem([id], "credentials-dropped", `job ${id}: before_script must start by unsetting CI_JOB_TOKEN and CI_REPOSITORY_URL`);
    if (job.artifacts && !["developer", "maintainer", "none"].includes(job.artifacts.access))
      f.problem([id, "artifacts"], "artifacts-members-only", `job ${id}: artifacts need access: developer (they hold grades)`);
  }
}

function gitlab(f) {
  if (!f.data) return;
  gitlabSchema(f);
  gitlabLeastPrivilege(f);
  forbidden(f);
}

// ---- main ---------------------------------------------------------------------------------------

async function main(files) {
  if (!files.length || files.some((a) => a.startsWith("-"))) {
    console.error("usage: lint-ci.js FILE...   (FILE.gitlab-ci.yml: GitLab CI; any other: a GitHub workflow)");
    return 2;
  }
  let total = 0;
  for (const file of files) {
    const f = load(file);
    if (file.endsWith(".gitlab-ci.yml")) gitlab(f);
    else await github(f);
    f.found.sort((a, b) => a.line - b.line);
    for (const p of f.found) console.log(`${file}:${p.line}: ${p.rule}: ${p.message}`);
    total += f.found.length;
  }
  console.error(`lint-ci: ${files.length} file(s), ${total} problem(s)`);
  return total ? 1 : 0;
}

main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
  console.error(`lint-ci: ${e.stack || e}`);
  process.exit(2);
});
