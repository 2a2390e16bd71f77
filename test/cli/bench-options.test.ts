import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strategyOptions } from '../../src/cli/commands/bench.js';
import { UsageError } from '../../src/cli/errors.js';
import { describeStrategies } from '../../src/strategy/registry.js';

const has = (...names: string[]) => names.every((n) => describeStrategies().some((d) => d.name === n));

test('--option values take the type of the option they set', { skip: !has('random', 'evolution') && 'random and evolution are not registered yet' }, () => {
  const o = strategyOptions(['dedupe=false', 'retries=7'], ['random']);
  assert.deepEqual(o.get('random'), { dedupe: false, retries: 7 });
  assert.deepEqual(strategyOptions(['dedupe=yes'], ['random']).get('random'), { dedupe: true });
  assert.deepEqual(strategyOptions(['population=20', 'sampleSize=5'], ['evolution']).get('evolution'), { population: 20, sampleSize: 5 });
  assert.throws(() => strategyOptions(['retries=many'], ['random']), (e: Error) => e instanceof UsageError && e.message === '--option retries=many: expected a number');
  assert.throws(() => strategyOptions(['retries=1.5'], ['random']), (e: Error) => e instanceof UsageError && /option 'retries' must be an integer/.test(e.message));
  assert.throws(() => strategyOptions(['population=0'], ['evolution']), (e: Error) => e instanceof UsageError && /option 'population' must be at least 2/.test(e.message));
  assert.throws(() => strategyOptions(['bogus=1'], ['random']), (e: Error) => e instanceof UsageError && /strategy 'random': unknown option 'bogus'/.test(e.message));
  assert.throws(() => strategyOptions(['=1'], ['random']), /--option =1: expected key=value/);
  assert.throws(() => strategyOptions(['dedupe'], ['random']), /--option dedupe: expected key=value/);
});

test('with several strategies: key=value goes to those that have the option, name.key=value to one', { skip: !has('random', 'evolution') && 'random and evolution are not registered yet' }, () => {
  const o = strategyOptions(['dedupe=false', 'evolution.population=30'], ['random', 'evolution']);
  assert.deepEqual(o.get('random'), { dedupe: false });
  assert.deepEqual(o.get('evolution'), { population: 30 });
  assert.throws(() => strategyOptions(['bogus=1'], ['random', 'evolution']), /none of random, evolution has an option 'bogus'/);
  assert.throws(() => strategyOptions(['grid.limit=3'], ['random', 'evolution']), /'grid' is not one of the strategies \(random, evolution\)/);
  assert.throws(() => strategyOptions(['random.population=30'], ['random', 'evolution']), /strategy 'random': unknown option 'population'/);
  assert.throws(() => strategyOptions([], ['random', 'nope']), (e: Error) => e instanceof UsageError && /unknown strategy 'nope'/.test(e.message));
});
