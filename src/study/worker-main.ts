/**
 * A search worker: a child process (forked by `pool.ts`) that loads the data set once and then
 * trains one trial at a time, reporting each epoch to its parent over IPC. It sends a heartbeat
 * every second while alive (training yields to the event loop between batches), exits as soon as
 * its parent goes away, and never touches the study store: the parent is the only writer.
 *
 * Messages in:  `{ type: 'run', job, spec, final? }`, `{ type: 'stop' }` (prune the current job).
 * Messages out: `{ type: 'ready' }`, `{ type: 'heartbeat' }`, `{ type: 'epoch', job, point }`,
 *               `{ type: 'done', job, result, test? }`, `{ type: 'error', job?, message }`.
 * @module
 */
import { loadDataset, modelData } from '../data/datasets.js';
import { dispose, setNumThreads } from '../engine/index.js';
import { loadModel } from '../estimate/model.js';
import { evaluateClassifierAsync } from '../estimate/train.js';
import { type TrialSpec, monitorSlice, trainArchitecture } from '../estimate/trial.js';
import type { WorkerInit } from './pool.js';

const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};

let current: { job: number; abort: AbortController } | null = null;

async function main(): Promise<void> {
  if (!process.send) {
    console.error('loom worker: start me through the search (I need an IPC channel)');
    process.exit(2);
  }
  process.on('disconnect', () => process.exit(0));
  const init = await new Promise<WorkerInit>((res) => process.once('message', (m) => res(m as WorkerInit)));
  setNumThreads(init.threads);
  const data = loadDataset(init.dataset, { ...init.dataOptions, includeTest: init.includeTest });
  setInterval(() => send({ type: 'heartbeat' }), 1000).unref();
  send({ type: 'ready' });
  process.on('message', (m: { type: string; job?: number; spec?: TrialSpec; final?: boolean }) => {
    if (m.type === 'stop') current?.abort.abort();
    else if (m.type === 'run' && m.spec && m.job !== undefined) void run(m.job, m.spec, !!m.final, data);
  });
}

async function run(job: number, spec: TrialSpec, final: boolean, data: ReturnType<typeof loadDataset>): Promise<void> {
  const abort = new AbortController();
  current = { job, abort };
  try {
    // The final model trains on the whole training split; its "validation" figures are then
    // measured on a slice of that split (the test set is only for the end).
    const monitor = final ? monitorSlice(data.train) : undefined;
    const result = await trainArchitecture(spec, monitor ? { ...data, val: monitor } : data, {
      signal: abort.signal,
      onEpoch: (point) => send({ type: 'epoch', job, point }),
    });
    let test: { accuracy: number; loss: number; correct: number; total: number } | undefined;
    if (final && result.status === 'ok' && data.test && spec.saveTo) {
      // Evaluate the saved weights on the test set: what the user gets is what is measured.
      // Loaded as a user loads it (loadModel), with the space this worker has; the test set is
      // normalised already, so data.json (written later, by the parent) is not read.
      const model = loadModel(spec.saveTo, { space: spec.space ?? spec.arch.space, data: false });
      try {
        test = await evaluateClassifierAsync(model.net, data.test as NonNullable<typeof data.test>);
      } finally {
        model.dispose();
      }
    }
    if (monitor) dispose([monitor.images, monitor.labels]);
    send({ type: 'done', job, result, test, ...(final ? { data: modelData(data) } : {}) });
  } catch (e) {
    send({ type: 'error', job, message: (e as Error).message });
  } finally {
    current = null;
  }
}

main().catch((e) => {
  send({ type: 'error', message: (e as Error).message });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
