import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStrategy, describeStrategies, restoreStrategy } from '../../src/strategy/registry.js';
import { StrategyError } from '../../src/strategy/strategy.js';
import { checkDeterminism, checkResume, nb201, nb201Objective, run } from './helpers.js';

const f = (a: { arch: Parameters<typeof nb201Objective>[0] }) => nb201Objective(a.arch);

test('random: ids in ask order, no repeats by default, repeats allowed without dedupe', () => {
  const s = createStrategy('random', nb201, 1);
  const asks = s.ask(500);
  assert.deepEqual(
    asks.map((a) => a.id),
    Array.from({ length: 500 }, (_, i) => i),
  );
  assert.equal(new Set(asks.map((a) => a.arch.key)).size, 500);
  assert.ok(asks.every((a) => a.fidelity === undefined));
  // Without dedupe, 500 draws from 15,625 repeat with probability ~1 - e^{-8}.
  let repeats = 0;
  for (let seed = 0; seed < 5; seed++) {
    const keys = createStrategy('random', nb201, seed, { dedupe: false })
      .ask(500)
      .map((a) => a.arch.key);
    repeats += 500 - new Set(keys).size;
  }
  assert.ok(repeats > 0);
});

test('random: deterministic, resumes exactly, tells are checked', () => {
  checkDeterminism('random', nb201, {}, f, 30);
  checkResume('random', nb201, {}, f, 20, 20);
  const s = createStrategy('random', nb201, 0);
  const [a] = s.ask();
  assert.throws(() => s.tell(5, { value: 1 }), /trial 5 was never asked/);
  s.tell(a.id, { value: Number.NaN });
  assert.throws(() => s.tell(a.id, { value: 1 }), /already told/);
  const [b] = s.ask();
  assert.throws(() => s.tell(b.id, { value: Number.POSITIVE_INFINITY }), /not finite/);
  assert.throws(() => s.tell(b.id, { value: 'x' as unknown as number }), /numeric value/);
  assert.equal(run(s, 10).asks.length, 10);
});

test('random: options are checked and listed', () => {
  assert.throws(() => createStrategy('random', nb201, 0, { dedup: true }), (e: unknown) => e instanceof StrategyError && /unknown option 'dedup'/.test(e.message));
  assert.throws(() => createStrategy('random', nb201, 0, { retries: 0 }), /'retries' must be at least 1/);
  const d = describeStrategies().find((x) => x.name === 'random');
  assert.ok(d?.options.some((o) => o.name === 'dedupe'));
  assert.equal(d?.multiFidelity, false);
});

test('restore: a damaged or foreign state is refused with a StrategyError', () => {
  const isErr = (re: RegExp) => (e: unknown) => e instanceof StrategyError && re.test(e.message);
  for (const name of ['random', 'evolution', 'local', 'tpe', 'sh']) {
    const s = createStrategy(name, nb201, 0);
    run(s, 30);
    const st = JSON.parse(JSON.stringify(s.state()));
    assert.throws(() => restoreStrategy(nb201, { ...st, data: {} }), isErr(new RegExp(`not a ${name} state`)));
    const bad = JSON.parse(JSON.stringify(st));
    bad.data.history[0].values['1<-0'] = 'conv_9x9';
    assert.throws(() => restoreStrategy(nb201, bad), isErr(/cannot restore the saved state: .*conv_9x9/));
    assert.throws(() => restoreStrategy(nb201, { ...st, options: { nope: 1 } }), isErr(/unknown option 'nope'/));
  }
});
