#!/usr/bin/env node
// validate-json.js: checks the course platforms' files that threadlab writes (results, question
// settings, assignment entries) against the schemas of harness/tests/schemas/, plus the rules
// between fields that a schema cannot state (a score above its maximum, totals that are not the
// sum of their tests, names used twice), as the platforms check them in their own code.
//
//   node harness/tests/validators/validate-json.js KIND FILE...
//
// KIND is one of the rows of KINDS below. Prints FILE: problem per problem. Exit status: 0 valid,
// 1 a problem, 2 usage error or ajv missing (scripts/install-deps --validators).
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const SCHEMAS = path.resolve(__dirname, "..", "schemas");
const EPS = 1e-6;

// ---- the rules between fields, per kind ------------------------------------------------------

function gradescopeRules(doc) {
  const problems = [];
  let sum = 0;
  for (const t of doc.tests || []) {
    if (t.max_score !== undefined && t.score > t.max_score + EPS) problems.push(`test "${t.name}": score above max_score`);
    sum += t.score || 0;
  }
  if (doc.max_score !== undefined && doc.score > doc.max_score + EPS) problems.push("score above max_score");
  if (doc.score !== undefined && doc.tests && Math.abs(sum - doc.score) > 0.01)
    problems.push(`score ${doc.score} is not the sum of the tests' scores (${sum})`);
  return problems;
}

function prairielearnRules(doc) {
  const problems = [];
  for (const t of doc.tests || [])
    if (t.max_points !== undefined && t.points > t.max_points + EPS) problems.push(`test "${t.name}": points above max_points`);
  return problems;
}

function classroom50Rules(doc) {
  const problems = [];
  const names = new Set();
  let score = 0;
  let max = 0;
  for (const t of doc.tests) {
    if (names.has(t["test-name"])) problems.push(`test name "${t["test-name"]}" used twice`);
    names.add(t["test-name"]);
    if (Buffer.byteLength(t["test-name"], "utf8") > 100) problems.push(`test "${t["test-name"]}": name over 100 bytes`);
    if (t.score > t["max-score"]) problems.push(`test "${t["test-name"]}": score above max-score`);
    score += t.score;
    max += t["max-score"];
  }
  if (doc.score > doc["max-score"]) problems.push("score above max-score");
  if (doc.score !== score || doc["max-score"] !== max)
    problems.push(`score ${doc.score}/${doc["max-score"]} is not the sum of the tests (${score}/${max})`);
  return problems;
}

const none = () => [];

// The kinds: the schema file, and the rules between fields.
const KINDS = {
  "gradescope-results": ["gradescope-results.schema.json", gradescopeRules],
  "prairielearn-results": ["prairielearn-results.schema.json", prairielearnRules],
  "prairielearn-info": ["prairielearn-info.schema.json", none],
  "classroom50-result": ["classroom50-result.schema.json", classroom50Rules],
  "classroom50-assignments": ["classroom50-assignments.schema.json", none],
};

// ---- main --------------------------------------------------------------------------------------

function main(argv) {
  const [kind, ...files] = argv;
  if (!KINDS[kind] || files.length === 0) {
    console.error(`usage: validate-json.js ${Object.keys(KINDS).join("|")} FILE...`);
    return 2;
  }
  let Ajv2020;
  try {
    Ajv2020 = require("ajv/dist/2020");
  } catch (e) {
    console.error(`validate-json: ajv is not installed (scripts/install-deps --validators): ${e.message}`);
    return 2;
  }
  const [schemaFile, rules] = KINDS[kind];
  // Strict, but a `required` inside anyOf/if/not may name what another branch declares, and a
  // tuple may leave the rest of the array to `items`.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTuples: false, allowUnionTypes: true });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(SCHEMAS, schemaFile), "utf8")));
  let bad = 0;
  for (const file of files) {
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      console.log(`${file}: not JSON: ${e.message}`);
      bad++;
      continue;
    }
    const problems = validate(doc)
      ? rules(doc)
      : validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`);
    for (const p of problems) console.log(`${file}: ${p}`);
    bad += problems.length > 0;
  }
  return bad > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
