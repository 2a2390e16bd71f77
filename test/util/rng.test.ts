import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';

test('state() and fromState() continue the same sequence', () => {
  const a = new Rng(42);
  for (let i = 0; i < 17; i++) a.next();
  const saved = JSON.parse(JSON.stringify(a.state()));
  const b = Rng.fromState(saved);
  for (let i = 0; i < 100; i++) assert.equal(b.nextUint32(), a.nextUint32());
  assert.throws(() => Rng.fromState({ seed: 1, s: [1, 2] }), /saved generator state/);
});

test('normal(): mean about 0 and variance about 1', () => {
  const r = new Rng(3);
  let s = 0;
  let s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    s += x;
    s2 += x * x;
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
});
