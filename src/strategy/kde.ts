/**
 * The multivariate kernel density model of BOHB (Falkner et al. 2018, as in the authors'
 * `hpbandster`): every architecture is a vector, one dimension per decision (an input decision
 * with more than 1024 subsets: one yes/no dimension per candidate). Numeric decisions are
 * continuous dimensions in [0, 1] (log-floats in log space; integers by grid cell) with Gaussian
 * kernels; categorical ones use Aitchison-Aitken kernels (the observed value keeps `1 - bw`, the
 * others share `bw`). Bandwidths are statsmodels' normal reference rule, `1.06 * std *
 * n^(-1/(4 + d))`, at least 1e-3 (and at most `(k - 1) / k` for a k-way categorical).
 *
 * l(x) and g(x) are product-kernel KDEs over the good and the bad set; a proposal draws
 * `n` vectors from l (a random good point, each continuous dimension moved by a truncated normal
 * with the bandwidth times `bandwidthFactor`, each categorical one kept with probability
 * `1 - bw`, else drawn uniformly) and keeps the one with the largest l(x)/g(x).
 * @module
 */
import type { Architecture } from '../space/architecture.js';
import { type Decision, type Value, domainSize } from '../space/decisions.js';
import { ArchitectureError, type SearchSpace } from '../space/space.js';
import type { Rng } from '../util/rng.js';
import { subsetCategories } from './tpe.js';

const MIN_BANDWIDTH = 1e-3;

/** How one decision maps to dimensions: `k` = 0 for a continuous dimension, else the number of categories. */
interface Coder {
  readonly ks: readonly number[];
  encode(v: Value, out: number[]): void;
  decode(x: readonly number[], at: number): Value;
}

function coder(d: Decision): Coder {
  switch (d.kind) {
    case 'categorical':
      return { ks: [d.choices.length], encode: (v, out) => out.push(d.choices.indexOf(v as string)), decode: (x, at) => d.choices[x[at]] };
    case 'input': {
      const cats = subsetCategories(d);
      if (cats) return { ks: [cats.subsets.length], encode: (v, out) => out.push(cats.index(v)), decode: (x, at) => cats.subsets[x[at]] };
      return {
        ks: d.candidates.map(() => 2),
        encode: (v, out) => {
          for (const c of d.candidates) out.push((v as readonly number[]).includes(c) ? 1 : 0);
        },
        decode: (x, at) => d.candidates.filter((_, i) => x[at + i] === 1),
      };
    }
    case 'float': {
      const tf = (v: number) => (d.log ? Math.log(v) : v);
      const lo = tf(d.low);
      const span = tf(d.high) - lo;
      return {
        ks: [0],
        encode: (v, out) => out.push((tf(v as number) - lo) / span),
        decode: (x, at) => {
          const t = lo + x[at] * span;
          return Math.min(d.high, Math.max(d.low, d.log ? Math.exp(t) : t));
        },
      };
    }
    default: {
      // Integers and repeats: cell i of `count` equal cells of [0, 1].
      const step = d.kind === 'integer' ? d.step : 1;
      const count = domainSize(d);
      return {
        ks: [0],
        encode: (v, out) => out.push(((v as number) - d.low) / step / count + 0.5 / count),
        decode: (x, at) => d.low + step * Math.min(count - 1, Math.floor(x[at] * count)),
      };
    }
  }
}

/** A product-kernel KDE over encoded vectors. */
class ProductKde {
  readonly bw: number[];
  constructor(
    readonly points: readonly number[][],
    private readonly ks: readonly number[],
  ) {
    const n = points.length;
    const d = ks.length;
    this.bw = ks.map((k, j) => {
      const mean = points.reduce((s, p) => s + p[j], 0) / n;
      const sd = n > 1 ? Math.sqrt(points.reduce((s, p) => s + (p[j] - mean) ** 2, 0) / (n - 1)) : 0;
      const bw = Math.max(MIN_BANDWIDTH, 1.06 * sd * n ** (-1 / (4 + d)));
      return k ? Math.min(bw, (k - 1) / k) : bw;
    });
  }

  pdf(x: readonly number[]): number {
    let total = 0;
    for (const p of this.points) {
      let v = 1;
      for (let j = 0; j < this.ks.length && v > 0; j++) {
        const k = this.ks[j];
        const bw = this.bw[j];
        if (k) v *= x[j] === p[j] ? 1 - bw : bw / (k - 1);
        else {
          const z = (x[j] - p[j]) / bw;
          v *= Math.exp(-0.5 * z * z) / (bw * Math.sqrt(2 * Math.PI));
        }
      }
      total += v;
    }
    return total / this.points.length;
  }

  sample(rng: Rng, factor: number): number[] {
    const p = this.points[rng.int(this.points.length)];
    return this.ks.map((k, j) => {
      if (k) return rng.next() < 1 - this.bw[j] ? p[j] : rng.int(k);
      const s = this.bw[j] * factor;
      let x = p[j] + s * rng.normal();
      for (let t = 0; t < 100 && (x < 0 || x > 1); t++) x = p[j] + s * rng.normal();
      return Math.min(1, Math.max(0, x));
    });
  }
}

/** BOHB's pair of KDEs, l over the good architectures and g over the bad ones. */
export class KdeModel {
  private readonly coders: Coder[];
  private readonly l: ProductKde;
  private readonly g: ProductKde;

  constructor(
    private readonly space: SearchSpace,
    good: readonly Architecture[],
    bad: readonly Architecture[],
    private readonly bandwidthFactor: number,
  ) {
    this.coders = space.decisions.map(coder);
    const ks = this.coders.flatMap((c) => c.ks);
    this.l = new ProductKde(
      good.map((a) => this.encode(a)),
      ks,
    );
    this.g = new ProductKde(
      bad.map((a) => this.encode(a)),
      ks,
    );
  }

  /** The architecture's vector. */
  encode(a: Architecture): number[] {
    const out: number[] = [];
    this.space.decisions.forEach((d, i) => {
      this.coders[i].encode(a.values[d.name], out);
    });
    return out;
  }

  /** The bandwidths of l, per dimension. */
  get bandwidths(): readonly number[] {
    return this.l.bw;
  }

  private decode(x: readonly number[]): Record<string, Value> {
    const v: Record<string, Value> = {};
    let at = 0;
    this.space.decisions.forEach((d, i) => {
      v[d.name] = this.coders[i].decode(x, at);
      at += this.coders[i].ks.length;
    });
    return v;
  }

  /**
   * Draws `n` vectors from l and returns the allowed, not rejected architecture with the largest
   * l/g among them; up to `tries` rounds of `n` when none qualifies; undefined after that.
   */
  proposeArch(rng: Rng, n: number, tries: number, reject?: (a: Architecture) => boolean): Architecture | undefined {
    for (let t = 0; t < tries; t++) {
      let best: Architecture | undefined;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const x = this.l.sample(rng, this.bandwidthFactor);
        const score = Math.max(1e-32, this.l.pdf(x)) / Math.max(1e-32, this.g.pdf(x));
        if (score <= bestScore) continue;
        let a: Architecture;
        try {
          a = this.space.arch(this.decode(x) as Record<string, unknown>);
        } catch (e) {
          if (e instanceof ArchitectureError) continue;
          throw e;
        }
        if (reject?.(a)) continue;
        best = a;
        bestScore = score;
      }
      if (best) return best;
    }
    return undefined;
  }
}
