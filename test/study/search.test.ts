import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { AUTO_AUGMENT_EPOCHS, AUTO_AUGMENT_MIN_PARAMS, type SearchOptions, autoAugment, runSearch } from '../../src/study/search.js';
import { SqliteStore } from '../../src/study/sqlite.js';

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

test('runSearch refuses trials trained for a time with what needs their epochs, and a bad compare architecture, before it opens the store', async () => {
  const cases: [string, Partial<SearchOptions>, RegExp][] = [
    ['compare-no-final', { compare: { space: 'nb201', values: {} } }, /compare trains its architecture like the final model, and there is no final retraining/],
    ['compare-bad', { compare: { space: 'nb201', values: { nope: 1 } }, finalRecipe: { epochs: 1 } }, /compare: not an architecture of space 'nb201': /],
    ['mf-curve', { strategy: 'hyperband', pruner: 'curve', trialSeconds: 10 }, /pruner 'curve' needs trials of a known number of epochs/],
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

const haveData = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));

test('successive halving over time: each rung trains for its share of trialSeconds, and the best is picked from the highest rung', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 300_000 }, async () => {
  // Rungs at fidelity 1 and 3 of maxFidelity 3: three configurations for 1 s, the best of them for 3 s.
  const o: SearchOptions = {
    ...base('sh-time'),
    strategy: 'sh',
    strategyOptions: { minFidelity: 1, maxFidelity: 3, eta: 3, configs: 3 },
    budget: { trials: 4 },
    dataOptions: { trainLimit: 20000, valSize: 500 },
    network: { channels: 4, cells: 1 },
    recipe: { epochs: 1, batchSize: 50 },
    trialSeconds: 3,
    threads: 1,
  };
  const r = await runSearch(o);
  assert.equal(r.trials.complete + r.trials.pruned, 4);
  const store = new SqliteStore(join(dir, 'sh-time.db'));
  try {
    const trials = store.trials('sh-time');
    assert.deepEqual(
      trials.map((t) => t.fidelity),
      [1, 1, 1, 3],
    );
    for (const t of trials) {
      const points = store.curve('sh-time', t.number);
      const trained = points.reduce((a, p) => a + Number(p.metrics.train_seconds), 0);
      const want = (t.fidelity as number) * 1;
      // Training stops with the batch that uses up the time: a little over it, never under.
      assert.ok(trained >= want * 0.98 && trained < want + 1.5, `trial ${t.number} (fidelity ${t.fidelity}) trained ${trained} s, wanted ${want} s`);
      assert.ok(Number(points.at(-1)?.metrics.lr) < 1e-3, `trial ${t.number}: its schedule ended with its time`);
    }
    // The rung-1 trial is the promoted best of rung 0, and the incumbent whatever the rung-0 figures.
    const top = trials[3];
    const rung0 = trials.slice(0, 3).filter((t) => t.state === 'COMPLETE');
    assert.equal(JSON.stringify(top.arch), JSON.stringify(rung0.reduce((a, b) => ((b.value as number) > (a.value as number) ? b : a)).arch));
    if (top.state === 'COMPLETE') assert.equal(r.best?.trial, top.number);
  } finally {
    store.close();
  }
});

test('trials trained for a time: the median pruner stops a trial only before its time is up, and says pruned only of trials it stopped', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 300_000 }, async () => {
  // Tiny trials of several epochs each in 1.5 s (an epoch of 400 images, validated on 100, took
  // 0.3-0.5 s beside a search busy on both cores: 4-6 epochs), so the pruner sees every epoch, the
  // last included.
  const lines: string[] = [];
  const r = await runSearch({
    ...base('time-median'),
    budget: { trials: 6 },
    dataOptions: { trainLimit: 500, valSize: 100 },
    network: { channels: 4, cells: 1 },
    recipe: { epochs: 1, batchSize: 100 },
    trialSeconds: 1.5,
    threads: 1,
    onLog: (l) => lines.push(l),
  });
  assert.equal(r.trials.complete + r.trials.pruned + r.trials.failed, 6);
  const store = new SqliteStore(join(dir, 'time-median.db'));
  try {
    for (const t of store.trials('time-median')) {
      const points = store.curve('time-median', t.number);
      assert.ok(points.length >= 2, `trial ${t.number} trained several epochs in its time (${points.length})`);
      const said = lines.some((l) => l.startsWith(`trial ${t.number}: pruned after epoch`));
      assert.equal(said, t.state === 'PRUNED', `trial ${t.number} is ${t.state}; the log ${said ? 'says' : 'does not say'} it was pruned`);
      // The time counts the validations between epochs too, so the epochs' whole times add up to it.
      const took = points.reduce((a, p) => a + Number(p.metrics.seconds), 0);
      if (t.state === 'COMPLETE') assert.ok(took >= 1.5 * 0.98, `complete trial ${t.number} used its time (${took} s)`);
    }
  } finally {
    store.close();
  }
});

test("finalAugment 'auto' augments long retrainings of networks big enough for it, as measured (docs/results.md)", () => {
  assert.equal(AUTO_AUGMENT_EPOCHS, 20);
  assert.equal(AUTO_AUGMENT_MIN_PARAMS, 100_000);
  // [planned epochs, params, augmented]: the baseline CNN at 9, 17-18 and 27-30 epochs, the residual block in stage 2 at 22, the demo's 12k pick at 27, the 60-minute pick at 39.
  const measured: [number | null, number, boolean][] = [
    [9, 390_634, false],
    [27, 390_634, true],
    [27, 12_154, false],
    [39, 269_338, true],
    [18, 390_634, false],
    [22, 427_626, true],
    [19, 390_634, false],
    [20, 390_634, true],
    [null, 390_634, true],
    [100, Number.NaN, true],
  ];
  for (const [planned, params, want] of measured) assert.equal(autoAugment(planned, params), want, `${planned} epochs, ${params} params`);
});

test('trial seeds: common (the search seed for every trial) by default, distinct on request; a study made with distinct ones resumes with them', { skip: haveData ? false : 'needs dataset-fashion-mnist', timeout: 300_000 }, async () => {
  const tiny = (name: string, trials: number, change: Partial<SearchOptions> = {}): SearchOptions => ({
    ...base(name),
    seed: 3,
    budget: { trials },
    dataOptions: { trainLimit: 300, valSize: 100 },
    network: { channels: 4, cells: 1 },
    recipe: { epochs: 1, batchSize: 100 },
    threads: 1,
    ...change,
  });
  const seeds = (name: string) => {
    const store = new SqliteStore(join(dir, `${name}.db`));
    try {
      return { seeds: store.trials(name).map((t) => t.metrics.seed), meta: store.getStudy(name)?.meta };
    } finally {
      store.close();
    }
  };
  await runSearch(tiny('seeds-common', 2));
  let s = seeds('seeds-common');
  assert.deepEqual(s.seeds, [3, 3]);
  assert.equal(s.meta?.trialSeeds, 'common');
  await runSearch(tiny('seeds-distinct', 2, { trialSeeds: 'distinct' }));
  s = seeds('seeds-distinct');
  assert.deepEqual(s.seeds, [3, 4]);
  assert.equal(s.meta?.trialSeeds, undefined, "a distinct-seed study's settings are those of a study made before the option");
  // Resumed without the option (as a study made by an older Loom would be): still distinct, no settings mismatch.
  await runSearch(tiny('seeds-distinct', 3));
  assert.deepEqual(seeds('seeds-distinct').seeds, [3, 4, 5]);
  // Asking a distinct-seed study for common seeds is a settings mismatch, not a silent change.
  await assert.rejects(runSearch(tiny('seeds-distinct', 4, { trialSeeds: 'common' })), /already exists with other settings/);
});
