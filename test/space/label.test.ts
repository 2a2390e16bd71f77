import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compactText, decisionDiff, decisionPairs, trialLabel } from '../../src/space/label.js';
import { getSpace } from '../../src/space/registry.js';

test('trialLabel: the compact text form where the space has one, else how the trial differs from the best, else all its decisions', () => {
  const nb201 = getSpace('nb201');
  const a = nb201.sample(1).toJSON();
  assert.deepEqual(trialLabel(nb201, a, null), { kind: 'compact', text: nb201.format(nb201.fromJSON(a)) });
  assert.match(trialLabel(nb201, a, nb201.sample(2).toJSON()).text, /^\|.*\|$/);
  // fmnist-net is a user-defined space: its text form is JSON, so the decisions are listed.
  const net = getSpace('fmnist-net');
  const b = net.sample(2).toJSON();
  assert.equal(compactText(net, b), null);
  const all = Object.entries(b.values).map(([k, v]) => `${k}=${v}`).join(' ');
  assert.deepEqual(trialLabel(net, b, null), { kind: 'all', text: all });
  assert.deepEqual(trialLabel(net, b, b), { kind: 'all', text: all }, 'the best itself lists all its decisions');
  const c = { ...b, values: { ...b.values, dropout: b.values.dropout === 0 ? 0.3 : 0 } };
  assert.deepEqual(trialLabel(net, c, b), { kind: 'diff', text: `dropout=${c.values.dropout}` });
  // No space, or one that refuses the architecture: the decisions.
  assert.deepEqual(trialLabel(null, a, null), { kind: 'all', text: decisionPairs(a.values) });
  assert.deepEqual(trialLabel(net, a, null), { kind: 'all', text: decisionPairs(a.values) });
});

test('decisionDiff lists the decisions that differ, with the first architecture\'s values', () => {
  const base = { space: 's', values: { a: 1, b: 'x', c: [1, 2] } };
  assert.equal(decisionDiff(base, base), '');
  assert.equal(decisionDiff({ space: 's', values: { a: 2, b: 'x', c: [1, 2] } }, base), 'a=2');
  assert.equal(decisionDiff({ space: 's', values: { a: 1, b: 'y', c: [2, 1], d: 0 } }, base), 'b=y c=[2,1] d=0');
  assert.equal(decisionDiff({ space: 's', values: { a: 1 } }, base), 'b=- c=-');
  assert.equal(decisionPairs({ w: 32, op: 'conv3', list: [1, 2] }), 'w=32 op=conv3 list=[1,2]');
});
