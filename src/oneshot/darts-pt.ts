/**
 * Perturbation-based architecture selection (DARTS-PT: Wang, Cheng, Chen, Tang & Hsieh,
 * "Rethinking Architecture Selection in Differentiable NAS", ICLR 2021), the remedy for DARTS's
 * collapse that this library shows working on NAS-Bench-201.
 *
 * The paper's finding: after a DARTS search the magnitude of alpha does not say how much an op
 * contributes to the supernet; skip connections (or pooling) get the largest alphas while the
 * supernet's accuracy rests on the convolutions. So instead of the argmax of alpha, each op's
 * strength is measured by what the supernet loses without it:
 *
 * 1. Start from the trained supernet, its edges mixed by softmax(alpha).
 * 2. Take the undecided edges in a seeded random order. For the edge at hand, mask each candidate
 *    op in turn (its mixing weight set to 0, the others left as they are) and measure the
 *    supernet's validation accuracy (batch norms on batch statistics, as in training and as
 *    DARTS-PT's code measures: in eval mode, the running statistics of the unmasked mixture
 *    mislead every masked measurement). The op whose removal costs the most accuracy
 *    (ties: the most validation loss) is chosen, and the edge becomes that op alone (one-hot).
 * 3. Tune the supernet's weights for `tuneEpochs` epochs with the edges as they now are, then go
 *    on with the next edge.
 *
 * On the DARTS space the ops are chosen among the non-`none` candidates, and then each node's two
 * input edges are chosen the same way: the edges whose removal (all its weights set to 0) costs
 * the most, with tuning after each node (the paper's topology selection).
 *
 * The alphas are not trained here (the paper's DARTS-PT keeps them as the search left them); the
 * result's architecture is what the perturbations chose, and the supernet's alphas are set to
 * match it.
 * @module
 */
import { noGrad, type Tensor, dispose, tensor, tidy } from '../engine/index.js';
import { DataLoader } from '../data/loader.js';
import type { LabelledSet } from '../estimate/train.js';
import type { Architecture } from '../space/architecture.js';
import { Rng } from '../util/rng.js';
import { type OneShotData, type OneShotOptions, correctOf, runOneShot, supernetLoss } from './search.js';
import { type Supernet, SupernetError } from './supernet.js';

/** Options of {@link perturbationSelect}. */
export interface PerturbationOptions {
  /** Epochs of weight tuning after each decision (default 1; the paper tunes several on CIFAR). */
  tuneEpochs?: number;
  /** The tuning's optimizer settings (as a one-shot search's; default lr 0.01, the end of a DARTS schedule's upper half). */
  tune?: Omit<OneShotOptions, 'epochs' | 'onEpoch' | 'onStep'>;
  /** Batch size of the evaluations (default 500). */
  evalBatchSize?: number;
  /** Seed of the edge order and of the tuning (default 0). */
  seed?: number;
  /** Stops between decisions; the undecided edges then keep the search's alphas. */
  signal?: AbortSignal;
  /** Stops between decisions (and cuts a tuning short) once this much time has passed. */
  budgetSeconds?: number;
  /** After each decision. */
  onDecision?: (d: PerturbationDecision) => void;
}

/** One decision: the op of an edge, or the two inputs of a DARTS node. */
export interface PerturbationDecision {
  kind: 'op' | 'edges';
  /** Cell type (index into `supernet.cellTypes`). */
  cellType: number;
  /** The edge (op decisions) or the node (edge decisions: DARTS node 2..5). */
  at: number;
  /** The supernet's validation accuracy with everything in place, before the decision. */
  baseAccuracy: number;
  /** Per candidate (op name, or edge index): validation accuracy and loss with it masked. */
  masked: { candidate: string; accuracy: number; loss: number }[];
  /** What was kept. */
  chosen: string[];
  /** Validation accuracy after the tuning that followed. */
  tunedAccuracy: number;
}

/** What {@link perturbationSelect} returns. */
export interface PerturbationResult {
  arch: Architecture;
  text: string;
  decisions: PerturbationDecision[];
  seconds: number;
  stopped: boolean;
}

/**
 * Accuracy and mean loss of the supernet in its current forward mode on a labelled set, without
 * gradients. With `batchStats` (as DARTS-PT measures) the batch norms normalise by each batch's own
 * statistics, as in training: masking an op changes what the later edges see, which their running
 * statistics, gathered under the full mixture, do not describe. Without, eval mode.
 */
export function supernetAccuracy(s: Supernet, set: LabelledSet, batchSize = 500, batchStats = false): { accuracy: number; loss: number } {
  const was = s.training;
  s.train(batchStats);
  try {
    const loader = new DataLoader([set.images, set.labels], { batchSize, shuffle: false });
    let [correct, loss, n] = [0, 0, 0];
    for (const [x, y] of loader) {
      const [l, c] = noGrad(() =>
        tidy(() => {
          const r = supernetLoss(s, [x, y]);
          return [r.loss.item(), correctOf(r.logits, y)];
        }),
      );
      correct += c;
      loss += l * x.shape[0];
      n += x.shape[0];
    }
    return { accuracy: correct / n, loss: loss / n };
  } finally {
    s.train(was);
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((res) => setImmediate(res));

/**
 * Chooses the architecture of a trained supernet by perturbation (see the module comment), tuning
 * the weights on `data.train` and measuring on `data.val`. Leaves the supernet's alphas set to the
 * choice (large logits on the chosen ops) and its mode softmax.
 */
export async function perturbationSelect(s: Supernet, data: OneShotData, o: PerturbationOptions = {}): Promise<PerturbationResult> {
  const t0 = performance.now();
  const tuneEpochs = o.tuneEpochs ?? 1;
  if (!(Number.isInteger(tuneEpochs) && tuneEpochs >= 0)) throw new SupernetError(`tuneEpochs must be an integer >= 0, got ${o.tuneEpochs}`);
  if (!data?.train || !data.val) throw new SupernetError('perturbation selection needs data.train (tuning) and data.val (measuring)');
  const rng = new Rng(o.seed ?? 0);
  const K = s.ops.length;
  const none = s.ops.indexOf('none');
  const isDarts = s.space === 'darts';
  // The mixing weights as they stand: softmax(alpha) at first; decided edges one-hot; dropped DARTS edges all zero.
  const w: number[][][] = s.opWeights();
  const decided = w.map((rows) => rows.map(() => false));
  const decisions: PerturbationDecision[] = [];
  let stopped = false;
  const left = (): number => (o.budgetSeconds === undefined ? Number.POSITIVE_INFINITY : o.budgetSeconds - (performance.now() - t0) / 1000);
  const halt = (): boolean => {
    if (o.signal?.aborted || left() <= 0) stopped = true;
    return stopped;
  };

  const weightTensors = (m: number[][][]): Tensor[] => m.map((rows) => tensor(rows, { dtype: 'float32', device: s.archParameters()[0].device }));
  const measure = (m: number[][][]): { accuracy: number; loss: number } => {
    const ts = weightTensors(m);
    try {
      s.setMode({ kind: 'weights', weights: ts });
      return supernetAccuracy(s, data.val, o.evalBatchSize ?? 500, true);
    } finally {
      s.setMode({ kind: 'softmax' });
      dispose(ts);
    }
  };
  const tune = async (): Promise<number> => {
    if (tuneEpochs > 0) {
      const ts = weightTensors(w);
      try {
        await runOneShot(s, data, { name: 'darts-pt tuning', order: 'weights-first', weightMode: () => ({ kind: 'weights', weights: ts }), derive: (sn) => sn.derive() }, {
          lr: 0.01,
          ...o.tune,
          epochs: tuneEpochs,
          seed: rng.int(2 ** 31),
          ...(o.signal ? { signal: o.signal } : {}),
          ...(Number.isFinite(left()) ? { budgetSeconds: Math.max(1e-3, left()) } : {}),
        });
      } finally {
        s.setMode({ kind: 'softmax' });
        dispose(ts);
      }
    }
    return measure(w).accuracy;
  };
  // Largest accuracy drop first (the lowest accuracy when masked); ties by the larger loss.
  const byCost = (a: { accuracy: number; loss: number }, b: { accuracy: number; loss: number }): number => a.accuracy - b.accuracy || b.loss - a.loss;
  // The current weights with one edge's row changed by `mask`, measured.
  const measureMasked = (t: number, e: number, mask: (row: number[]) => number[]) => {
    const m = w.map((rows) => rows.map((r) => [...r]));
    m[t][e] = mask(m[t][e]);
    return measure(m);
  };
  const record = (d: PerturbationDecision): void => {
    decisions.push(d);
    o.onDecision?.(d);
  };

  // 1. Ops, edge by edge in a seeded random order.
  const order = s.cellTypes.flatMap((_, t) => s.edges.map((_e, e) => [t, e] as const));
  for (const i of rng.permutation(order.length)) {
    if (halt()) break;
    const [t, e] = order[i];
    const candidates = [...Array(K).keys()].filter((k) => !(isDarts && k === none));
    const base = measure(w);
    const masked: { accuracy: number; loss: number }[] = [];
    for (let k = 0; k < K; k++) {
      if (!candidates.includes(k)) {
        masked.push({ accuracy: Number.NaN, loss: Number.NaN });
        continue;
      }
      masked.push(measureMasked(t, e, (row) => row.map((v, j) => (j === k ? 0 : v))));
      await yieldToEventLoop();
    }
    const k = [...candidates].sort((a, b) => byCost(masked[a], masked[b]))[0];
    w[t][e] = w[t][e].map((_, j) => (j === k ? 1 : 0));
    decided[t][e] = true;
    const tunedAccuracy = await tune();
    record({
      kind: 'op',
      cellType: t,
      at: e,
      baseAccuracy: base.accuracy,
      masked: candidates.map((j) => ({ candidate: s.ops[j], accuracy: masked[j].accuracy, loss: masked[j].loss })),
      chosen: [s.ops[k]],
      tunedAccuracy,
    });
  }

  // 2. DARTS: each node's two inputs.
  if (isDarts && !stopped) {
    const nodes = s.cellTypes.flatMap((_, t) => [2, 3, 4, 5].map((j) => [t, j] as const));
    for (const i of rng.permutation(nodes.length)) {
      if (halt()) break;
      const [t, j] = nodes[i];
      const incoming = s.edges.flatMap(([to], e) => (to === j ? [e] : []));
      const base = measure(w);
      const masked = incoming.map((e) => measureMasked(t, e, (row) => row.map(() => 0)));
      const keep = incoming
        .map((e, q) => ({ e, ...masked[q] }))
        .sort(byCost)
        .slice(0, 2)
        .map((x) => x.e);
      for (const e of incoming) if (!keep.includes(e)) w[t][e] = w[t][e].map(() => 0);
      const tunedAccuracy = await tune();
      record({
        kind: 'edges',
        cellType: t,
        at: j,
        baseAccuracy: base.accuracy,
        masked: incoming.map((e, q) => ({ candidate: `${s.edges[e][1]}->${j}`, accuracy: masked[q].accuracy, loss: masked[q].loss })),
        chosen: keep.map((e) => `${s.edges[e][1]}->${j}`),
        tunedAccuracy,
      });
    }
  }

  // The choice as alphas: the chosen op's logit far above the rest; a dropped DARTS edge is all `none`.
  const BIG = 20;
  const searched = s.alphaValues();
  const alphas = w.map((rows, t) =>
    rows.map((r, e) => {
      if (decided[t][e] && r.every((v) => v === 0)) return r.map((_, k) => (k === none ? BIG : 0));
      if (decided[t][e]) return r.map((v) => (v === 1 ? BIG : 0));
      return searched[t][e]; // undecided (stopped early): as the search left it
    }),
  );
  s.setAlphas(alphas);
  s.setMode({ kind: 'softmax' });
  const arch = s.derive();
  return { arch, text: s.searchSpace.format(arch), decisions, seconds: (performance.now() - t0) / 1000, stopped };
}
