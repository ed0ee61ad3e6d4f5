#!/usr/bin/env node
// Parses every .tf file of a folder offline (npm's @cdktf/hcl2json, HashiCorp's HCL parser built
// to WebAssembly) and prints one JSON object: file name -> its parsed form. A syntax error fails.
//   node terraform/test/parse.js terraform
"use strict";
const fs = require("fs");
const path = require("path");
const { parse } = require("@cdktf/hcl2json");

async function main(dir) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".tf")).sort();
  if (files.length === 0) {
    throw new Error(`no .tf files in ${dir}`);
  }
  const out = {};
  for (const file of files) {
    out[file] = await parse(file, fs.readFileSync(path.join(dir, file), "utf8"));
  }
  return out;
}

main(process.argv[2] || ".")
  .then((parsed) => process.stdout.write(JSON.stringify(parsed)))
  .catch((e) => {
    process.stderr.write(`${e && e.message ? e.message : e}\n`);
    process.exit(1);
  });
