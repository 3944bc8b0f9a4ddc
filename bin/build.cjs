#!/usr/bin/env node
// Compiles the TypeScript sources to dist/ with swc (decorator metadata on, as type-graphql
// needs). Only files newer than their output are compiled, so `npm start` and `npm run cli`
// pay for a build only after a change. Type checking is `npm run typecheck` (part of npm test).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist');
const sourceDirs = ['lib', 'schema', 'auth', 'gateway', 'subgraphs', 'bin', 'bench'];
const quiet = process.argv.includes('--quiet');

function* sources(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield full;
  }
}

function main() {
  let swc;
  try {
    swc = require('@swc/core');
  } catch {
    console.error('build: @swc/core is missing; run `npm install` first');
    process.exit(1);
  }
  const options = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
  delete options.$schema;
  let compiled = 0;
  for (const dir of sourceDirs) {
    for (const file of sources(path.join(root, dir))) {
      const rel = path.relative(root, file);
      const out = path.join(outDir, rel.replace(/\.ts$/, '.js'));
      if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(file).mtimeMs) continue;
      const result = swc.transformFileSync(file, {
        ...options,
        swcrc: false,
        filename: file,
        sourceFileName: path.relative(path.dirname(out), file),
      });
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, `${result.code}\n//# sourceMappingURL=${path.basename(out)}.map\n`);
      if (result.map) fs.writeFileSync(`${out}.map`, result.map);
      compiled += 1;
    }
  }
  if (!quiet || compiled > 0) console.error(`build: ${compiled} file(s) compiled to dist/`);
}

main();
