import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type SearchOptions, runSearch } from '../../src/study/search.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-runsearch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base = (name: string): SearchOptions => ({
  dataset: 'fashion-mnist',
  space: 'nb201',
  strategy: 'random',
  budget: { trials: 1 },
  workers: 1,
  storage: `sqlite:${join(dir, `${name}.db`)}`,
  study: name,
  out: join(dir, name),
  seed: 0,
  recipe: { epochs: 1 },
  finalRecipe: null,
});

test('runSearch refuses trials trained for a time with what needs their epochs, before it opens the store', async () => {
  const cases: [string, Partial<SearchOptions>, RegExp][] = [
    ['mf', { strategy: 'hyperband', trialSeconds: 10 }, /strategy 'hyperband' chooses each trial's epochs itself, so its trials cannot be trained for a time/],
    ['mf-recipe', { strategy: 'sh', recipe: { epochs: 1, seconds: 10 } }, /strategy 'sh' chooses each trial's epochs itself/],
    ['curve', { pruner: 'curve', trialSeconds: 10 }, /pruner 'curve' needs trials of a known number of epochs/],
    ['zero', { trialSeconds: 0 }, /trialSeconds must be a positive number of seconds, got 0/],
    ['nan', { trialSeconds: Number.NaN }, /trialSeconds must be a positive number of seconds, got NaN/],
  ];
  for (const [name, change, message] of cases) {
    await assert.rejects(runSearch({ ...base(name), ...change }), message, name);
    assert.ok(!existsSync(join(dir, `${name}.db`)), `${name}: no store was created`);
    assert.ok(!existsSync(join(dir, name)), `${name}: no output directory was created`);
  }
});
