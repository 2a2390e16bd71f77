import assert from 'node:assert/strict';
import { test } from 'node:test';
import { archLabel, compactText, decisionDiff, decisionPairs } from '../../src/space/label.js';
import { getSpace } from '../../src/space/registry.js';

test('archLabel: the compact text form where the space has one, else the decisions as key=value', () => {
  const nb201 = getSpace('nb201');
  const a = nb201.sample(1).toJSON();
  assert.equal(archLabel(nb201, a), nb201.format(nb201.fromJSON(a)));
  assert.match(archLabel(nb201, a), /^\|.*\|$/);
  // fmnist-net is a user-defined space: its text form is JSON, so the decisions are listed.
  const net = getSpace('fmnist-net');
  const b = net.sample(2).toJSON();
  assert.equal(compactText(net, b), null);
  assert.equal(archLabel(net, b), Object.entries(b.values).map(([k, v]) => `${k}=${v}`).join(' '));
  // No space, or one that refuses the architecture: the decisions.
  assert.equal(archLabel(null, a), decisionPairs(a.values));
  assert.equal(archLabel(net, a), decisionPairs(a.values));
});

test('decisionDiff lists the decisions that differ, with the first architecture\'s values', () => {
  const base = { space: 's', values: { a: 1, b: 'x', c: [1, 2] } };
  assert.equal(decisionDiff(base, base), '');
  assert.equal(decisionDiff({ space: 's', values: { a: 2, b: 'x', c: [1, 2] } }, base), 'a=2');
  assert.equal(decisionDiff({ space: 's', values: { a: 1, b: 'y', c: [2, 1], d: 0 } }, base), 'b=y c=[2,1] d=0');
  assert.equal(decisionDiff({ space: 's', values: { a: 1 } }, base), 'b=- c=-');
  assert.equal(decisionPairs({ w: 32, op: 'conv3', list: [1, 2] }), 'w=32 op=conv3 list=[1,2]');
});
