#!/usr/bin/env node
// validate-sarif.js: checks SARIF logs against the SARIF 2.1.0 JSON schema that
// @microsoft/jest-sarif ships, with Ajv (the schema is draft-04, hence ajv-draft-04).
//
// usage: node validate-sarif.js FILE...
// Prints one line per schema violation ("FILE: /json/pointer: message") and exits 1 when
// there is any; exits 0 silently when every file is valid, 2 when a file cannot be read or
// parsed or the validator cannot be set up.
'use strict';

const fs = require('fs');
const Ajv = require('ajv-draft-04');
const addFormats = require('ajv-formats');

const SCHEMA = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

function main(files) {
  if (files.length === 0) {
    console.error('usage: node validate-sarif.js FILE...');
    return 2;
  }
  let validate;
  try {
    // strict: false because the schema uses keywords Ajv's strict mode rejects (e.g.
    // "default" next to "$ref"); unicodeRegExp: false because its "language" pattern has a
    // stray "]" that only a non-Unicode RegExp accepts (the final 2.1.0 text fixed it).
    // Formats are still checked.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')));
  } catch (e) {
    console.error(`validate-sarif: cannot load the schema ${SCHEMA}: ${e.message}`);
    return 2;
  }
  let rc = 0;
  for (const file of files) {
    let log;
    try {
      log = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      console.log(`${file}: ${e.message}`);
      rc = 2;
      continue;
    }
    if (!validate(log)) {
      for (const err of validate.errors) {
        const extra = err.params && Object.keys(err.params).length ? ' ' + JSON.stringify(err.params) : '';
        console.log(`${file}: ${err.instancePath || '/'}: ${err.message}${extra}`);
      }
      rc = Math.max(rc, 1);
    }
  }
  return rc;
}

process.exitCode = main(process.argv.slice(2));
