/**
 * The store conformance suite: every `Store` backend runs it (see the contract in
 * src/study/store.ts). `make()` returns a fresh, empty store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Store, StoreError } from '../../src/study/store.js';

const code = (c: StoreError['code']) => (e: unknown) => e instanceof StoreError && e.code === c;

/** Registers the suite's tests for one backend. */
export function storeConformance(backend: string, make: () => Store): void {
  const t = (name: string, fn: (s: Store) => void) =>
    test(`${backend}: ${name}`, () => {
      const s = make();
      try {
        fn(s);
      } finally {
        s.close();
      }
    });

  t('studies: create, get, list, same metadata is idempotent, other metadata is refused', (s) => {
    const a = s.createStudy('a', { space: 'nb201', n: 1 });
    assert.equal(a.name, 'a');
    assert.deepEqual(a.meta, { space: 'nb201', n: 1 });
    assert.deepEqual(s.createStudy('a', { space: 'nb201', n: 1 }).createdAt, a.createdAt);
    assert.throws(() => s.createStudy('a', { space: 'darts' }), code('LOOM_STUDY_MISMATCH'));
    s.createStudy('b', {});
    assert.deepEqual(
      s.listStudies().map((x) => x.name),
      ['a', 'b'],
    );
    assert.equal(s.getStudy('zzz'), null);
    assert.throws(() => s.createStudy('', {}), code('LOOM_BAD_VALUE'));
    assert.throws(() => s.createStudy(' x', {}), code('LOOM_BAD_VALUE'));
    assert.throws(() => s.addTrial('nope', { arch: 1 }), code('LOOM_NO_STUDY'));
  });

  t('state blobs: put replaces, get returns a copy, unknown key is undefined', (s) => {
    s.createStudy('a', {});
    assert.equal(s.getState('a', 'strategy'), undefined);
    s.putState('a', 'strategy', { rng: [1, 2, 3], n: 0.1 });
    s.putState('a', 'strategy', { rng: [4], n: 2 });
    assert.deepEqual(s.getState('a', 'strategy'), { rng: [4], n: 2 });
    assert.throws(() => s.putState('nope', 'k', 1), code('LOOM_NO_STUDY'));
  });

  t('trials: numbered in order, claimed oldest first, lifecycle and snapshots', (s) => {
    s.createStudy('a', {});
    const t0 = s.addTrial('a', { arch: { values: { x: 1 } }, fidelity: 4, attrs: { ask: 0 } });
    const t1 = s.addTrial('a', { arch: { values: { x: 2 } } });
    assert.deepEqual([t0.number, t1.number], [0, 1]);
    assert.equal(t0.state, 'WAITING');
    assert.equal(t0.fidelity, 4);
    assert.equal(t1.fidelity, null);
    assert.deepEqual(t0.attrs, { ask: 0 });
    const c = s.claimTrial('a', 'w1');
    assert.equal(c?.number, 0);
    assert.equal(c?.state, 'RUNNING');
    assert.equal(c?.worker, 'w1');
    assert.ok((c?.startedAt ?? 0) > 0);
    assert.equal(t0.state, 'WAITING', 'records are snapshots');
    assert.equal(s.claimTrial('a', 'w2', 0), null, 'a running trial cannot be claimed');
    assert.equal(s.claimTrial('a', 'w2', 1)?.worker, 'w2');
    assert.equal(s.claimTrial('a', 'w3'), null, 'nothing left to claim');
    s.heartbeat('a', 0, 'w1');
    s.reportCurve('a', 0, 'w1', { step: 1, metrics: { val_acc: 0.5 } });
    s.reportCurve('a', 0, 'w1', { step: 2, metrics: { val_acc: 0.6 } });
    s.reportCurve('a', 0, 'w1', { step: 2, metrics: { val_acc: 0.65 } });
    const done = s.finishTrial('a', 0, 'w1', { state: 'COMPLETE', value: 0.65, metrics: { val_acc: 0.65, params: 1234 } });
    assert.equal(done.state, 'COMPLETE');
    assert.equal(done.value, 0.65);
    assert.equal(done.curveLength, 2);
    assert.deepEqual(s.curve('a', 0), [
      { step: 1, metrics: { val_acc: 0.5 } },
      { step: 2, metrics: { val_acc: 0.65 } },
    ]);
    assert.deepEqual(
      s.trials('a', ['RUNNING']).map((x) => x.number),
      [1],
    );
    assert.deepEqual(
      s.trials('a').map((x) => x.state),
      ['COMPLETE', 'RUNNING'],
    );
    assert.equal(s.getTrial('a', 7), null);
  });

  t('leases: a worker that does not hold the trial cannot write; a finished trial is immutable', (s) => {
    s.createStudy('a', {});
    s.addTrial('a', { arch: 'x' });
    s.claimTrial('a', 'w1');
    assert.throws(() => s.heartbeat('a', 0, 'w2'), code('LOOM_LEASE_LOST'));
    assert.throws(() => s.reportCurve('a', 0, 'w2', { step: 1, metrics: { a: 1 } }), code('LOOM_LEASE_LOST'));
    assert.throws(() => s.finishTrial('a', 0, 'w2', { state: 'COMPLETE', value: 1 }), code('LOOM_LEASE_LOST'));
    s.finishTrial('a', 0, 'w1', { state: 'PRUNED', value: 0.1 });
    const before = s.getTrial('a', 0);
    assert.throws(() => s.finishTrial('a', 0, 'w1', { state: 'COMPLETE', value: 0.9 }), code('LOOM_LEASE_LOST'));
    assert.throws(() => s.reportCurve('a', 0, 'w1', { step: 9, metrics: { a: 1 } }), code('LOOM_LEASE_LOST'));
    assert.throws(() => s.heartbeat('a', 0, 'w1'), code('LOOM_LEASE_LOST'));
    assert.throws(() => s.finishTrial('a', 0, null, { state: 'FAIL' }), code('LOOM_LEASE_LOST'));
    assert.deepEqual(s.getTrial('a', 0), before, 'unchanged');
    assert.throws(() => s.heartbeat('a', 5, 'w1'), code('LOOM_NO_TRIAL'));
  });

  t('transitions: WAITING can fail without a worker, RUNNING cannot go back', (s) => {
    s.createStudy('a', {});
    s.addTrial('a', { arch: 'x' });
    const f = s.finishTrial('a', 0, null, { state: 'FAIL', error: 'bad architecture' });
    assert.equal(f.state, 'FAIL');
    assert.equal(f.error, 'bad architecture');
    assert.equal(f.value, null);
    s.addTrial('a', { arch: 'y' });
    s.claimTrial('a', 'w');
    assert.throws(() => s.finishTrial('a', 1, 'w', { state: 'WAITING' as never }), code('LOOM_BAD_TRANSITION'));
    assert.throws(() => s.finishTrial('a', 1, null, { state: 'FAIL' }), code('LOOM_LEASE_LOST'));
  });

  t('stale RUNNING trials fail with "worker lost"; fresh ones stay', (s) => {
    s.createStudy('a', {});
    for (let i = 0; i < 3; i++) s.addTrial('a', { arch: i });
    s.claimTrial('a', 'w0');
    s.claimTrial('a', 'w1');
    const cut = s.now() + 1;
    assert.deepEqual(s.failStale('a', s.now() - 60_000), [], 'heartbeats are recent');
    assert.deepEqual(s.failStale('a', cut), [0, 1]);
    const t0 = s.getTrial('a', 0);
    assert.equal(t0?.state, 'FAIL');
    assert.equal(t0?.error, 'worker lost');
    assert.throws(() => s.finishTrial('a', 0, 'w0', { state: 'COMPLETE', value: 1 }), code('LOOM_LEASE_LOST'), 'a worker that lost its lease cannot write');
    assert.equal(s.getTrial('a', 2)?.state, 'WAITING');
  });

  t('float edge cases round-trip exactly: NaN, Infinity, -Infinity, -0, subnormals, large integers', (s) => {
    s.createStudy('a', {});
    const vals = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, 2 ** 53 + 2, -1e-300];
    vals.forEach((v, i) => {
      s.addTrial('a', { arch: i, fidelity: i === 0 ? 0.5 : i });
      s.claimTrial('a', 'w', i);
      s.reportCurve('a', i, 'w', { step: i, metrics: { v, twice: v * 2 } });
      s.finishTrial('a', i, 'w', { state: 'COMPLETE', value: v, metrics: { v } });
    });
    vals.forEach((v, i) => {
      const t = s.getTrial('a', i);
      assert.ok(Object.is(t?.value, v), `value ${v} came back as ${t?.value}`);
      assert.ok(Object.is(t?.metrics.v, v), `metric ${v}`);
      const c = s.curve('a', i)[0];
      assert.ok(Object.is(c.metrics.v, v) && Object.is(c.metrics.twice, v * 2), `curve ${v}`);
    });
    assert.equal(s.getTrial('a', 0)?.fidelity, 0.5);
    s.addTrial('a', { arch: 'bad' });
    s.claimTrial('a', 'w');
    assert.throws(() => s.reportCurve('a', vals.length, 'w', { step: Number.NaN, metrics: {} }), code('LOOM_BAD_VALUE'));
    assert.throws(() => s.reportCurve('a', vals.length, 'w', { step: 1, metrics: { '': 1 } }), code('LOOM_BAD_VALUE'));
    assert.throws(() => s.finishTrial('a', vals.length, 'w', { state: 'COMPLETE', value: 'x' as never }), code('LOOM_BAD_VALUE'));
    assert.throws(() => s.addTrial('a', { arch: 1, fidelity: Number.POSITIVE_INFINITY }), code('LOOM_BAD_VALUE'));
    assert.equal(s.getTrial('a', vals.length)?.state, 'RUNNING', 'a rejected write changes nothing');
  });
}
