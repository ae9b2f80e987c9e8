// Validates an AsyncAPI document with the official parser (@asyncapi/parser), issue 16.
// Usage: node validate_asyncapi.js <file>. Prints every diagnostic as JSON lines; exits 1 when
// any has error severity (0), 0 otherwise.
'use strict';
const fs = require('fs');
const { Parser } = require('@asyncapi/parser');

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node validate_asyncapi.js <asyncapi.yaml>');
    process.exit(2);
  }
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(fs.readFileSync(file, 'utf8'), { source: file });
  const errors = diagnostics.filter((d) => d.severity === 0);
  for (const d of diagnostics) {
    console.log(JSON.stringify({ severity: d.severity, code: d.code, path: d.path.join('.'), message: d.message }));
  }
  console.log(`errors: ${errors.length}, diagnostics: ${diagnostics.length}, parsed: ${document !== undefined}`);
  process.exit(errors.length === 0 && document !== undefined ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(1); });
