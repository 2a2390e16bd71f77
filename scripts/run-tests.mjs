#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner, each file in
// its own process. Arguments filter files by substring: node scripts/run-tests.mjs safetensors
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const testRoot = join(root, 'dist', 'test');
if (!existsSync(testRoot)) {
  console.error('no compiled tests: run `npm run build` first');
  process.exit(1);
}
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
})(testRoot);
const filters = process.argv.slice(2);
const chosen = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (!chosen.length) {
  console.error('no test files matched');
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--expose-gc', '--test', '--test-concurrency=2', ...chosen], {
  stdio: 'inherit',
  env: { ...process.env, LOOM_TEST: '1' },
});
process.exit(res.status ?? 1);
