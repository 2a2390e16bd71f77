/**
 * Weight inheritance ("Lamarckian" evolution, as in LEMONADE (Elsken et al. 2019) and NeuNetS's
 * NCEvolve): a child architecture, made by mutating a trained parent, starts from the parent's
 * weights wherever they fit instead of from a fresh initialisation.
 *
 * ```ts
 * const child = buildNetwork(space.mutate(parentArch, rng), o);
 * const report = inheritWeights(child, 'parent.safetensors');
 * // report.tensors of report.totalTensors tensors came from the parent
 * ```
 *
 * **The rule.** Tensors are matched by their state-dict name (parameters and persistent buffers,
 * e.g. BatchNorm's running statistics). Compiled networks name modules by the graph's node names,
 * and the built-in spaces name nodes by position (`stem.0`, `cells.<i>.edges.<to>_<from>`,
 * `cells.<i>.nodes.<j>...`, `features.<i>.<j>`), so a node that survives a mutation keeps its name.
 * For each tensor of the child:
 *
 * - the parent has a tensor of that name and shape: it is copied whole (**exact**);
 * - the parent has one of that name and rank but another shape (other channel counts, another
 *   kernel size): the overlapping block is copied (**sliced**). Along channel and feature
 *   dimensions the overlap is the leading `min(parent, child)` entries; along the spatial
 *   dimensions of convolution kernels (the dimensions after the first two of a tensor of rank 3
 *   or more) it is centred, so a 3x3 kernel inherits the centre of a 5x5 one and a 1x1 kernel's
 *   weight lands in the centre of a 3x3 one. Where the child is larger, its other entries keep
 *   their fresh initialisation, or, with `grownKernels: 'zero'`, the ring around an inherited
 *   kernel centre is zeroed, so that a widened kernel computes what the parent's did (a network
 *   morphism in LEMONADE's sense) on the inherited channels;
 * - otherwise (a name the parent lacks, another rank, an empty overlap) it keeps its
 *   initialisation (**fresh**).
 *
 * Nothing is matched across names: an op moved to another edge is not followed.
 * @module
 */
import { type Tensor, loadSafetensors, noGrad, type nn, tidy } from '../engine/index.js';
import type { ArchitectureJSON } from '../space/architecture.js';

/** Metadata key under which {@link trainArchitecture} stores the architecture JSON in a weights file. */
export const ARCH_METADATA_KEY = 'loom.arch';

/** Options of {@link inheritWeights}. */
export interface InheritOptions {
  /**
   * Where a child's kernel is larger than the parent's: keep the child's fresh initialisation
   * around the inherited centre ('init', the default), or zero it ('zero').
   */
  grownKernels?: 'init' | 'zero';
  /** Child tensors (by state-dict name) never to inherit, e.g. a classifier for other classes. */
  exclude?: (name: string) => boolean;
}

/** What {@link inheritWeights} copied, by the child's state-dict names. */
export interface InheritReport {
  /** Copied whole: same name and shape. */
  exact: string[];
  /** Same name and rank, another shape: the overlapping block copied. */
  sliced: string[];
  /** Kept their initialisation. */
  fresh: string[];
  /** Tensors inherited (exact + sliced) and the child's total. */
  tensors: number;
  totalTensors: number;
  /** Elements copied from the parent, and the child's total. */
  elements: number;
  totalElements: number;
  /** The parent's architecture, when its weights file records one. */
  parentArch?: ArchitectureJSON;
}

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** For two shapes of one rank: per dimension, the overlap's length and its start in each. */
function overlap(src: readonly number[], dst: readonly number[]): { len: number; srcAt: number; dstAt: number }[] {
  return src.map((s, d) => {
    const len = Math.min(s, dst[d]);
    const spatial = src.length >= 3 && d >= 2;
    return spatial ? { len, srcAt: Math.floor((s - len) / 2), dstAt: Math.floor((dst[d] - len) / 2) } : { len, srcAt: 0, dstAt: 0 };
  });
}

/** The block of `t` starting at `at` with lengths `len` (a view: writing into it writes into `t`). */
function block(t: Tensor, at: readonly number[], len: readonly number[]): Tensor {
  let v = t.alias();
  for (let d = 0; d < len.length; d++) {
    if (at[d] === 0 && len[d] === t.shape[d]) continue;
    const next = v.narrow(d, at[d], len[d]);
    v.dispose();
    v = next;
  }
  return v;
}

/**
 * Copies a parent's weights into `child` where they fit (see the module's doc for the rule) and
 * reports what was copied. `parent` is a safetensors file (as written by `trainArchitecture` or
 * `Module.save`) or a state dict; the child's tensors are written in place, without gradients.
 */
export function inheritWeights(child: nn.Module, parent: string | Map<string, Tensor>, opts: InheritOptions = {}): InheritReport {
  const file = typeof parent === 'string' ? loadSafetensors(parent) : null;
  const src: Map<string, Tensor> = file ?? (parent as Map<string, Tensor>);
  const zeroGrown = (opts.grownKernels ?? 'init') === 'zero';
  const report: InheritReport = { exact: [], sliced: [], fresh: [], tensors: 0, totalTensors: 0, elements: 0, totalElements: 0 };
  const archText = file?.metadata[ARCH_METADATA_KEY];
  if (archText) {
    try {
      report.parentArch = JSON.parse(archText) as ArchitectureJSON;
    } catch {
      // A damaged note does not spoil the weights.
    }
  }
  const sd = child.stateDict();
  try {
    noGrad(() => {
      for (const [name, t] of sd) {
        report.totalTensors++;
        report.totalElements += t.numel();
        const s = src.get(name);
        if (!s || opts.exclude?.(name) || s.shape.length !== t.shape.length) {
          report.fresh.push(name);
          continue;
        }
        const same = s.shape.every((d, i) => d === t.shape[i]);
        if (same) {
          t.copy_(s);
          report.exact.push(name);
          report.elements += t.numel();
          continue;
        }
        const ov = overlap(s.shape, t.shape);
        const len = ov.map((o) => o.len);
        if (len.some((l) => l === 0)) {
          report.fresh.push(name);
          continue;
        }
        tidy(() => {
          if (zeroGrown && t.shape.some((n, d) => d >= 2 && n > s.shape[d])) {
            // The inherited channels' whole kernels: zeroed, then the centre copied below.
            const whole = t.shape.map((n, d) => (d < 2 ? len[d] : n));
            block(t, t.shape.map(() => 0), whole).zero_();
          }
          const from = block(s, ov.map((o) => o.srcAt), len);
          block(t, ov.map((o) => o.dstAt), len).copy_(from);
        });
        report.sliced.push(name);
        report.elements += product(len);
      }
    });
  } finally {
    for (const t of sd.values()) t.dispose();
    file?.dispose();
  }
  report.tensors = report.exact.length + report.sliced.length;
  return report;
}
