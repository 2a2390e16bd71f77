/**
 * REINFORCE: a policy-gradient controller in the style of Zoph & Le ("Neural Architecture Search
 * with Reinforcement Learning", ICLR 2017), trained with the engine.
 *
 * **Controller.** An autoregressive LSTM cell (one layer, `hidden` units; written with engine ops,
 * gates i, f, g, o as in `torch.nn.LSTMCell`) emits the architecture one *step* at a time. The first
 * input is a learned start embedding; each later input is the embedding of the previous step's
 * choice. Each step has its own softmax classifier (a linear layer on the hidden state) and its own
 * embedding table, as in Zoph & Le and ENAS (Pham et al. 2018). Steps come from the space's decisions:
 * - categorical, integer and repeat decisions: one step, a softmax over the decision's values;
 * - input decisions (which earlier nodes a node reads): one step, a softmax over the allowed subsets
 *   when there are at most {@link MAX_SUBSETS} of them; otherwise one two-way step (read / skip) per
 *   candidate, i.e. a Bernoulli per candidate as in Zoph & Le's skip connections;
 * - float decisions: discretised into `floatBins` equal bins (in log space for log-scaled floats),
 *   the value being the bin's centre.
 * A sample whose values break the space's constraints (or an input subset of the wrong size) is
 * redrawn, up to {@link MAX_RESAMPLE} times; after that a uniformly random architecture is asked
 * (and trained on as if the controller had chosen it).
 *
 * **Training.** REINFORCE (Williams 1992) with an exponential-moving-average baseline (decay
 * `baselineDecay`; the baseline starts at the first reward) and an entropy bonus (`entropyWeight`):
 * after every `batch` results the loss `-mean_b[(R_b - baseline) * log p(a_b)] - entropyWeight *
 * mean_b H_b` takes one Adam step. Rewards are the objective values as told; a failed evaluation (NaN)
 * gets the worst reward seen so far (and is skipped while no trial has succeeded yet).
 *
 * **Defaults and sources.** Adam with lr 1e-3: the top of the range NAS controllers use (Zoph & Le
 * 6e-4, ENAS 3.5e-4; 1e-3 is also Adam's own default, Kingma & Ba 2015), because those were tuned
 * for thousands of samples and Loom's searches are a few hundred queries (on the synthetic NB201
 * objective of the tests, 1e-3 beats random search within 150 queries; 6e-4 needs about 300).
 * Hidden size 64 (ENAS; Zoph & Le used two layers of 35), entropy weight 1e-4 (ENAS), baseline
 * decay 0.9 (the NAS-Bench-101 REINFORCE baseline's moving average), one update per result
 * (`batch` 1), weights uniform in [-0.1, 0.1] (Zoph & Le, ENAS). Larger learning rates (0.01 and
 * up) make the policy collapse early onto one mediocre architecture.
 * **Determinism.** Choices are drawn with the strategy's JavaScript {@link Rng} from the softmax
 * probabilities (never with libtorch's generator); weights are initialised from a fork of the seed.
 * Between calls the controller's weights and Adam's state live in JavaScript arrays (no tensors
 * are held, so nothing needs disposing); each ask and update builds tensors inside `tidy`. The
 * saved state holds the weights, Adam's state, the baseline, the results waiting for the next
 * update and (through the base class) the generator, pending asks and history, so a restored
 * controller continues bit for bit.
 * @module
 */
import { Adam, type OptimizerState, type Tensor, F, noGrad, tensor, tidy, zeros } from '../engine/index.js';
import type { Architecture } from '../space/architecture.js';
import { type Decision, type Value, domainSize, domainValues, valueEquals } from '../space/decisions.js';
import type { SearchSpace } from '../space/space.js';
import { Rng } from '../util/rng.js';
import { BaseStrategy, type Told, defineStrategy } from './common.js';
import { inOneThread } from './engine-work.js';
import type { Ask } from './strategy.js';

/** Input decisions with at most this many allowed subsets get one softmax over the subsets; larger ones a Bernoulli per candidate. */
export const MAX_SUBSETS = 64;
/** Draws per ask before a constraint-breaking controller sample is replaced by a uniformly random architecture. */
export const MAX_RESAMPLE = 100;

/** One softmax of the controller. */
interface Step {
  /** Index of the decision it belongs to. */
  readonly decision: number;
  /** Number of choices. */
  readonly size: number;
  /** `value`: the choice is the decision's value; `bit`: whether input candidate `candidate` is read. */
  readonly kind: 'value' | 'bit';
  readonly candidate?: number;
}

/** A result waiting for the next policy update. */
interface Pending {
  actions: number[];
  /** The objective; null for a failure. */
  value: number | null;
}

/** Adam's state as plain JSON. */
interface AdamJSON {
  steps: number[];
  buffers: (number[] | null)[][];
}
/** Adam's state between updates: step counts and buffers (exp_avg, exp_avg_sq, max_exp_avg_sq) per parameter. */
interface AdamArrays {
  steps: number[];
  buffers: (Float32Array | null)[][];
}

/** What the controller adds to the base state. */
interface OwnState {
  weights: number[][];
  adam: AdamJSON | null;
  baseline: number | null;
  buffer: Pending[];
  updates: number;
}

/** Per-decision lookup tables for turning actions into values and back. */
interface Table {
  /** The values of a one-step decision (float decisions: bin centres). */
  values: Value[] | null;
}

/** The REINFORCE strategy: an LSTM controller trained by policy gradient. */
export class Reinforce extends BaseStrategy<number[]> {
  private readonly hidden: number;
  private readonly lr: number;
  private readonly batch: number;
  private readonly entropyWeight: number;
  private readonly baselineDecay: number;
  private readonly floatBins: number;
  private readonly steps: Step[] = [];
  private readonly tables: Table[] = [];
  /** Parameter shapes, in the order of {@link weights}. */
  private readonly shapes: number[][] = [];
  private weights: Float32Array[] = [];
  private adam: AdamArrays | null = null;
  private baseline: number | null = null;
  private buffer: Pending[] = [];
  private updates = 0;

  constructor(space: SearchSpace, seed: number, options: Record<string, unknown>) {
    super('reinforce', space, seed, options);
    this.hidden = options.hidden as number;
    this.lr = options.lr as number;
    this.batch = options.batch as number;
    this.entropyWeight = options.entropyWeight as number;
    this.baselineDecay = options.baselineDecay as number;
    this.floatBins = options.floatBins as number;
    space.decisions.forEach((d, i) => {
      this.addSteps(d, i);
    });
    const H = this.hidden;
    // Wx, Wh, b (LSTM cell), start embedding; per step: classifier weight and bias, and (all but the last) an embedding.
    this.shapes.push([H, 4 * H], [H, 4 * H], [4 * H], [1, H]);
    this.steps.forEach((s, i) => {
      this.shapes.push([H, s.size], [s.size]);
      if (i < this.steps.length - 1) this.shapes.push([s.size, H]);
    });
    const init = new Rng(seed).fork(0);
    this.weights = this.shapes.map((sh) => {
      const w = new Float32Array(numel(sh));
      for (let i = 0; i < w.length; i++) w[i] = init.next() * 0.2 - 0.1;
      return w;
    });
  }

  private addSteps(d: Decision, i: number): void {
    if (d.kind === 'float') {
      const lo = d.log ? Math.log(d.low) : d.low;
      const hi = d.log ? Math.log(d.high) : d.high;
      const centres = Array.from({ length: this.floatBins }, (_, k) => lo + ((k + 0.5) * (hi - lo)) / this.floatBins);
      this.tables.push({ values: centres.map((c) => Math.min(d.high, Math.max(d.low, d.log ? Math.exp(c) : c))) });
      this.steps.push({ decision: i, size: this.floatBins, kind: 'value' });
    } else if (d.kind === 'input' && domainSize(d) > MAX_SUBSETS) {
      this.tables.push({ values: null });
      for (const c of d.candidates) this.steps.push({ decision: i, size: 2, kind: 'bit', candidate: c });
    } else {
      const values = domainValues(d);
      this.tables.push({ values });
      this.steps.push({ decision: i, size: values.length, kind: 'value' });
    }
  }

  /** The controller's parameters as tensors (inside the caller's tidy). */
  private tensors(grad: boolean): Tensor[] {
    return this.weights.map((w, i) => tensor(w, { shape: this.shapes[i], requiresGrad: grad }));
  }

  /**
   * Runs the controller for `B` sequences. `choose(step, logits)` returns the `B` actions of a step
   * (sampled, or the ones taken earlier). Returns the summed log-probabilities and entropies `[B]`
   * (zeros unless `withLoss`).
   */
  private rollout(P: Tensor[], B: number, choose: (s: number, logits: Tensor) => number[], withLoss: boolean): { logp: Tensor; entropy: Tensor } {
    const H = this.hidden;
    const [Wx, Wh, b, start] = P;
    let x = start.expand([B, H]);
    let h = zeros([B, H]);
    let c = zeros([B, H]);
    let logp = zeros([B]);
    let entropy = zeros([B]);
    let k = 4;
    for (let s = 0; s < this.steps.length; s++) {
      const [gi, gf, gg, go] = x.matmul(Wx).add(h.matmul(Wh)).add(b).chunk(4, 1);
      c = gf.sigmoid().mul(c).add(gi.sigmoid().mul(gg.tanh()));
      h = go.sigmoid().mul(c.tanh());
      const logits = h.matmul(P[k]).add(P[k + 1]);
      const actions = choose(s, logits);
      const idx = tensor(actions, { dtype: 'int64' });
      if (withLoss) {
        const lsm = F.logSoftmax(logits, 1);
        logp = logp.add(lsm.gather(1, idx.unsqueeze(1)).squeeze(1));
        entropy = entropy.sub(lsm.exp().mul(lsm).sum(1));
      }
      if (s < this.steps.length - 1) {
        x = P[k + 2].indexSelect(0, idx);
        k += 3;
      }
    }
    return { logp, entropy };
  }

  /** Draws one action sequence from the controller with the strategy's generator. */
  private sampleActions(P: Tensor[]): number[] {
    const out: number[] = [];
    this.rollout(P, 1, (_s, logits) => {
      const p = F.softmax(logits, 1).data() as Float32Array;
      const u = this.rng.next();
      let a = p.length - 1;
      let cum = 0;
      for (let i = 0; i < p.length; i++) {
        cum += p[i];
        if (u < cum) {
          a = i;
          break;
        }
      }
      out.push(a);
      return [a];
    }, false);
    return out;
  }

  /** The values of an action sequence, or null when an input subset has the wrong size. */
  private decode(actions: number[]): Record<string, Value> | null {
    const v: Record<string, Value> = {};
    const bits = new Map<number, number[]>();
    this.steps.forEach((s, i) => {
      if (s.kind === 'value') v[this.space.decisions[s.decision].name] = (this.tables[s.decision].values as Value[])[actions[i]];
      else {
        const list = bits.get(s.decision) ?? [];
        if (actions[i] === 1) list.push(s.candidate as number);
        bits.set(s.decision, list);
      }
    });
    for (const [i, list] of bits) {
      const d = this.space.decisions[i];
      if (d.kind !== 'input' || list.length < d.min || list.length > d.max) return null;
      v[d.name] = list.sort((a, b) => a - b);
    }
    return v;
  }

  /** The actions that give `arch` (floats: the bin holding the value). */
  private encodeActions(arch: Architecture): number[] {
    return this.steps.map((s) => {
      const d = this.space.decisions[s.decision];
      const v = arch.values[d.name];
      if (s.kind === 'bit') return (v as readonly number[]).includes(s.candidate as number) ? 1 : 0;
      if (d.kind === 'float') {
        const t = d.log ? (Math.log(v as number) - Math.log(d.low)) / (Math.log(d.high) - Math.log(d.low)) : ((v as number) - d.low) / (d.high - d.low);
        return Math.min(s.size - 1, Math.max(0, Math.floor(t * s.size)));
      }
      return Math.max(0, (this.tables[s.decision].values as Value[]).findIndex((x) => valueEquals(x, v)));
    });
  }

  protected propose(n: number, out: Ask[]): void {
    inOneThread(() => tidy(() => noGrad(() => this.sampleInto(n, out))));
  }

  /** Asks controller samples until `out` holds `n` (inside tidy and noGrad). */
  private sampleInto(n: number, out: Ask[]): void {
    const P = this.tensors(false);
    while (out.length < n) {
      let arch: Architecture | null = null;
      let actions: number[] = [];
      for (let t = 0; t < MAX_RESAMPLE && !arch; t++) {
        actions = this.sampleActions(P);
        const values = this.decode(actions);
        if (!values) continue;
        try {
          arch = this.space.arch(values);
        } catch {
          arch = null;
        }
      }
      if (!arch) {
        arch = this.space.sample(this.rng);
        actions = this.encodeActions(arch);
      }
      out.push(this.issue(arch, undefined, actions));
    }
  }

  protected observe(trial: Told<number[]>): void {
    this.buffer.push({ actions: [...(trial.tag as number[])], value: Number.isNaN(trial.value) ? null : trial.value });
    if (this.buffer.length >= this.batch) {
      this.update(this.buffer);
      this.buffer = [];
    }
  }

  /** One REINFORCE step on a batch of results. */
  private update(batch: Pending[]): void {
    let worst = Number.POSITIVE_INFINITY;
    for (const t of this.history) if (!Number.isNaN(t.value)) worst = Math.min(worst, t.value);
    const used: { actions: number[]; advantage: number }[] = [];
    for (const r of batch) {
      const R = r.value ?? worst;
      if (!Number.isFinite(R)) continue; // a failure before any success: nothing to compare it with
      if (this.baseline === null) this.baseline = R;
      used.push({ actions: r.actions, advantage: R - this.baseline });
      this.baseline = this.baselineDecay * this.baseline + (1 - this.baselineDecay) * R;
    }
    if (!used.length) return;
    inOneThread(() => tidy(() => this.gradientStep(used)));
    this.updates++;
  }

  /** The policy-gradient loss of `used` and one Adam step on it (inside tidy); the new weights and Adam state go back to arrays. */
  private gradientStep(used: readonly { actions: number[]; advantage: number }[]): void {
    const P = this.tensors(true);
    const opt = new Adam(P, { lr: this.lr });
    try {
      if (this.adam) opt.loadStateDict(adamTensors(this.adam, this.shapes, this.lr));
      const { logp, entropy } = this.rollout(P, used.length, (s) => used.map((u) => u.actions[s]), true);
      const adv = tensor(used.map((u) => u.advantage));
      const loss = logp.mul(adv).mean().neg().sub(entropy.mean().mul(this.entropyWeight));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      this.weights = P.map((p) => Float32Array.from(p.detach().data() as Float32Array));
      this.adam = adamArrays(opt.stateDict());
    } finally {
      opt.dispose();
    }
  }

  protected override saveOwn(): OwnState {
    const adam = this.adam && { steps: [...this.adam.steps], buffers: this.adam.buffers.map((l) => l.map((b) => (b ? Array.from(b) : null))) };
    return { weights: this.weights.map((w) => Array.from(w)), adam, baseline: this.baseline, buffer: this.buffer, updates: this.updates };
  }

  protected override loadOwn(data: unknown): void {
    const d = data as Partial<OwnState> | null;
    const ok =
      d &&
      Array.isArray(d.weights) &&
      d.weights.length === this.shapes.length &&
      d.weights.every((w, i) => Array.isArray(w) && w.length === numel(this.shapes[i])) &&
      Array.isArray(d.buffer) &&
      Number.isInteger(d.updates);
    if (!ok) throw this.error('the saved controller does not fit this space and these options');
    this.weights = (d.weights as number[][]).map((w) => Float32Array.from(w));
    this.adam = d.adam ? { steps: [...d.adam.steps], buffers: d.adam.buffers.map((l) => l.map((b) => (b ? Float32Array.from(b) : null))) } : null;
    this.baseline = d.baseline ?? null;
    this.buffer = (d.buffer as Pending[]).map((p) => ({ actions: [...p.actions], value: p.value }));
    this.updates = d.updates as number;
  }
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function adamArrays(s: OptimizerState): AdamArrays {
  return { steps: [...s.steps], buffers: s.buffers.map((list) => list.map((t) => (t ? Float32Array.from(t.data() as Float32Array) : null))) };
}

/** Adam's state as tensors (made inside the caller's tidy). */
function adamTensors(s: AdamArrays, shapes: readonly number[][], lr: number): OptimizerState {
  return { kind: 'Adam', lr, steps: s.steps, buffers: s.buffers.map((list) => list.map((b, i) => (b ? tensor(b, { shape: shapes[i] }) : null))) };
}

/** The `reinforce` strategy. */
export const reinforceFactory = defineStrategy({
  name: 'reinforce',
  description: 'REINFORCE policy gradient with an autoregressive LSTM controller, moving-average baseline and entropy bonus (Zoph & Le 2017)',
  options: [
    { name: 'lr', type: 'number', default: 1e-3, min: 0, max: 10, description: "Adam's learning rate for the controller (Zoph & Le: 6e-4, ENAS: 3.5e-4)" },
    { name: 'batch', type: 'integer', default: 1, min: 1, max: 10_000, description: 'results per policy update' },
    { name: 'hidden', type: 'integer', default: 64, min: 1, max: 4096, description: "the LSTM cell's hidden size" },
    { name: 'entropyWeight', type: 'number', default: 1e-4, min: 0, max: 100, description: 'weight of the entropy bonus' },
    { name: 'baselineDecay', type: 'number', default: 0.9, min: 0, max: 1, description: "the moving-average baseline's decay" },
    { name: 'floatBins', type: 'integer', default: 10, min: 2, max: 10_000, description: 'bins that float decisions are discretised into' },
  ],
  make: (space, seed, options) => new Reinforce(space, seed, options),
});
