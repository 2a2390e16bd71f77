import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeDirs } from '../../src/util/fs.js';

test('makeDirs: creates missing parents, accepts an existing folder, refuses a path through a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-fs-'));
  try {
    const deep = join(dir, 'a', 'b', 'c');
    makeDirs(deep);
    assert.ok(statSync(deep).isDirectory());
    makeDirs(deep);
    makeDirs(`${join(dir, 'a')}/`);
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    assert.throws(() => makeDirs(join(file, 'sub', 'deeper')), /ENOTDIR/);
    assert.ok(!existsSync(join(file, 'sub')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('makeDirs: a path under /proc throws instead of looping', { skip: existsSync('/proc/self') ? false : 'no /proc here' }, () => {
  assert.throws(() => makeDirs('/proc/loom-no/such/folder'), /ENOENT/);
});
