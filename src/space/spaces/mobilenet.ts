/**
 * A template-constrained macro space: MobileNetV2's stage layout (Sandler et al., "MobileNetV2:
 * Inverted Residuals and Linear Bottlenecks", CVPR 2018) searched with MnasNet's factorised
 * hierarchical decisions (Tan et al., "MnasNet: Platform-Aware Neural Architecture Search for
 * Mobile", CVPR 2019): the template fixes the stages' widths and strides, and each of the 7 stages
 * chooses, for all its blocks at once,
 * - `kernel<i>`: the depthwise kernel, 3, 5 or 7;
 * - `expand<i>`: the expansion ratio, 1, 3 or 6 (MnasNet's block types SepConv, MBConv3 and
 *   MBConv6; its plain-conv option is left out);
 * - `depth<i>`: the number of blocks, 1 to 4 (MobileNetV2 has 1, 2, 3, 4, 3, 3, 1);
 * - `se<i>`: squeeze-and-excitation with ratio 0.25, or none.
 * The skip is fixed as in MobileNetV2: a block adds its input when its stride is 1 and its input
 * and output widths match. So 3 * 3 * 4 * 2 = 72 choices per stage and 72^7 (about 1.0e13)
 * architectures, all distinct.
 *
 * Text form: one token per stage, `k<kernel>e<expand>d<depth>` with `se` appended for SE, joined
 * by `,`. MobileNetV2 itself is `k3e1d1,k3e6d2,k3e6d3,k3e6d4,k3e6d3,k3e6d3,k3e6d1`.
 *
 * The network ({@link MobileNetSpace.graph}; module names follow torchvision's EfficientNet):
 * `features.0` stem conv3x3 stride 2 (no bias) + BN + ReLU6; stage i (1..7) as `features.<i>.<j>`,
 * blocks of the `mbconv` op (expand conv1x1-BN-ReLU6 unless the ratio is 1, depthwise kxk-BN-
 * ReLU6, optional SE reducing to max(1, floor(block input channels * 0.25)), project conv1x1-BN,
 * the residual), the stage's stride on its first block; `features.8` conv1x1 to 1280 + BN +
 * ReLU6; global average pooling; `classifier.0` dropout 0.2 and `classifier.1` the linear layer.
 * Stage widths 16, 24, 32, 64, 96, 160, 320, first-block strides 1, 2, 2, 2, 1, 2, 1.
 *
 * Options: `input` (default 3x224x224), `classes` (default 1000, ImageNet's, as the papers;
 * pass 10 for CIFAR or Fashion-MNIST), `channels` (the stem's width at width multiplier 1,
 * default 32: the multiplier is channels / 32). Every width is scaled as torchvision does
 * ({@link makeDivisible}: the nearest multiple of 8, at least 8, never below 90% of the exact
 * value), and the last conv keeps 1280 channels for multipliers below 1.
 *
 * Small inputs ({@link mobilenetStrides}): the template reduces 32x (the stem and stages 2, 3, 4
 * and 6 have stride 2; 224 -> 7). For smaller inputs the reductions are dropped, earliest first,
 * until the last feature map is at least 4 pixels on its smaller side: 32x32 (CIFAR) and 28x28
 * (Fashion-MNIST) keep the reductions of stages 3, 4 and 6 (32 -> 4, 28 -> 4), as the usual CIFAR
 * ports of MobileNetV2 do. Inputs smaller than 4x4 are rejected.
 *
 * With the MobileNetV2 choices at 3x224x224 and 1000 classes the network has 3,504,872 parameters
 * (torchvision's `mobilenet_v2()`) and 300,774,272 multiply-adds (the paper reports 300M).
 * @module
 */
import type { Architecture } from '../architecture.js';
import { type Decision, type Value, categorical, repeat } from '../decisions.js';
import { GraphBuilder, type NetGraph } from '../graph/graph.js';
import { ArchitectureError, DecisionSpace, type NetworkOptions } from '../space.js';
import { chainConfig } from './chain.js';

/** One stage of the template: output width, first-block stride, and MobileNetV2's own choices. */
export interface MobileNetStageTemplate {
  readonly out: number;
  readonly stride: number;
  readonly depth: number;
  readonly expand: number;
}

/** MobileNetV2's 7 stages (Table 2 of the paper, without the stem and the head). */
export const MOBILENET_STAGES: readonly MobileNetStageTemplate[] = Object.freeze(
  [
    [16, 1, 1, 1],
    [24, 2, 2, 6],
    [32, 2, 3, 6],
    [64, 2, 4, 6],
    [96, 1, 3, 6],
    [160, 2, 3, 6],
    [320, 1, 1, 6],
  ].map(([out, stride, depth, expand]) => Object.freeze({ out, stride, depth, expand })),
);
export const MOBILENET_KERNELS = [3, 5, 7] as const;
export const MOBILENET_EXPANSIONS = [1, 3, 6] as const;
/** Smallest and largest number of blocks per stage. */
export const MOBILENET_DEPTHS = [1, 4] as const;
/** The squeeze-excite ratio of a stage that has SE. */
export const MOBILENET_SE_RATIO = 0.25;
/** Width of the head's conv1x1 at width multiplier 1 (and below). */
export const MOBILENET_LAST_CHANNELS = 1280;
/** The classifier's dropout, as torchvision's MobileNetV2. */
export const MOBILENET_DROPOUT = 0.2;
/** Smallest side the last feature map keeps (see {@link mobilenetStrides}). */
export const MOBILENET_MIN_FINAL = 4;

/** A stage's choices. */
export interface MobileNetStage {
  kernel: number;
  expand: number;
  depth: number;
  se: boolean;
}

/** Network settings with the defaults filled in. */
export interface MobileNetConfig {
  input: [number, number, number];
  classes: number;
  /** The stem's width at multiplier 1 (32): the width multiplier is channels / 32. */
  channels: number;
}

/**
 * Fills in the defaults (3x224x224, 1000 classes, 32 channels) and checks the values with the
 * macro spaces' shared rules (`chainConfig`; throws {@link ArchitectureError}, also for `cells`).
 */
export function mobilenetConfig(o: NetworkOptions = {}): MobileNetConfig {
  return chainConfig('mobilenet', { ...o, input: o.input ?? [3, 224, 224], classes: o.classes ?? 1000, channels: o.channels ?? 32 });
}

/**
 * torchvision's `_make_divisible` (from the TensorFlow MobileNet code): `v` rounded to the nearest
 * multiple of `divisor`, at least `divisor`, and bumped up a step when rounding down would lose
 * more than 10%.
 */
export function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** The widths of the network at base width `channels`: stem, the 7 stages, and the head's conv. */
export function mobilenetWidths(channels: number): { stem: number; stages: number[]; last: number } {
  const m = channels / 32;
  return {
    stem: makeDivisible(32 * m),
    stages: MOBILENET_STAGES.map((s) => makeDivisible(s.out * m)),
    last: makeDivisible(MOBILENET_LAST_CHANNELS * Math.max(1, m)),
  };
}

/**
 * The strides for an input of `height` x `width`: the stem's and each stage's first block's. All
 * five of the template's stride-2 reductions (stem, stages 2, 3, 4, 6) are kept when the last
 * feature map is still at least {@link MOBILENET_MIN_FINAL} pixels on its smaller side (a stride-2
 * kxk conv with padding k//2 maps n to ceil(n/2)); otherwise they are dropped, earliest first,
 * until it is. 224 keeps all five (7x7 at the end), 32 and 28 keep the last three (4x4). Throws an
 * {@link ArchitectureError} for inputs below 4x4.
 */
export function mobilenetStrides(height: number, width: number): { stem: number; stages: number[] } {
  const side = Math.min(height, width);
  if (side < MOBILENET_MIN_FINAL) {
    throw new ArchitectureError(
      `mobilenet: input ${height}x${width} is too small for the reductions: height and width must be at least ${MOBILENET_MIN_FINAL} (the template drops stride-2 reductions until the last feature map is ${MOBILENET_MIN_FINAL}x${MOBILENET_MIN_FINAL} or larger)`,
    );
  }
  const total = 1 + MOBILENET_STAGES.filter((s) => s.stride === 2).length;
  const after = (r: number) => {
    let n = side;
    for (let i = 0; i < r; i++) n = Math.ceil(n / 2);
    return n;
  };
  let keep = total;
  while (keep > 0 && after(keep) < MOBILENET_MIN_FINAL) keep--;
  // Reduction j (0 = stem, then the stride-2 stages in order) is kept when j >= total - keep.
  let j = 0;
  const kept = () => (j++ >= total - keep ? 2 : 1);
  const stem = kept();
  return { stem, stages: MOBILENET_STAGES.map((s) => (s.stride === 2 ? kept() : 1)) };
}

const N = MOBILENET_STAGES.length;

const decisionsFor = (i: number): Decision[] => [
  categorical(`kernel${i}`, MOBILENET_KERNELS),
  categorical(`expand${i}`, MOBILENET_EXPANSIONS),
  repeat(`depth${i}`, MOBILENET_DEPTHS[0], MOBILENET_DEPTHS[1]),
  categorical(`se${i}`, [false, true]),
];

const TOKEN_HELP = `k<kernel>e<expand>d<depth> with 'se' appended for squeeze-excite, e.g. k5e6d3se; kernels ${MOBILENET_KERNELS.join('|')}, expansions ${MOBILENET_EXPANSIONS.join('|')}, depths ${MOBILENET_DEPTHS[0]}..${MOBILENET_DEPTHS[1]}`;

/** Reads one stage token (`k5e6d3se`); `i` is the stage number (1..7) for the error message. */
export function parseStage(token: string, i: number): MobileNetStage {
  const fail = (why: string): never => {
    throw new ArchitectureError(`mobilenet: stage ${i} '${token}': ${why} (expected ${TOKEN_HELP})`);
  };
  const m = /^k(\d+)e(\d+)d(\d+)(se)?$/.exec(token);
  if (!m) return fail('is not a stage token');
  const [, k, e, d, se] = m;
  const pick = (x: string, what: string, allowed: readonly number[]) => {
    if (x.length > 1 && x.startsWith('0')) fail(`${what} '${x}' has a leading zero`);
    if (!allowed.includes(Number(x))) fail(`${what} ${x} is not one of ${allowed.join(', ')}`);
    return Number(x);
  };
  const depths = Array.from({ length: MOBILENET_DEPTHS[1] - MOBILENET_DEPTHS[0] + 1 }, (_, j) => MOBILENET_DEPTHS[0] + j);
  return { kernel: pick(k, 'kernel', MOBILENET_KERNELS), expand: pick(e, 'expansion', MOBILENET_EXPANSIONS), depth: pick(d, 'depth', depths), se: se !== undefined };
}

/** Writes one stage token. */
export const formatStage = (s: MobileNetStage): string => `k${s.kernel}e${s.expand}d${s.depth}${s.se ? 'se' : ''}`;

/** MobileNetV2's own choices in this space (3x3 kernels, expansion 6 but 1 in stage 1, its depths, no SE). */
export const MOBILENET_V2: readonly MobileNetStage[] = Object.freeze(MOBILENET_STAGES.map((s) => Object.freeze({ kernel: 3, expand: s.expand, depth: s.depth, se: false })));

/** The MobileNetV2/MnasNet-style macro space (see the module comment). */
export class MobileNetSpace extends DecisionSpace {
  readonly name = 'mobilenet';
  readonly description = `template-constrained macro space (MobileNetV2 stages, MnasNet-style per-stage choices): ${N} stages, each kernel ${MOBILENET_KERNELS.join('|')}, expansion ${MOBILENET_EXPANSIONS.join('|')}, depth ${MOBILENET_DEPTHS[0]}..${MOBILENET_DEPTHS[1]}, squeeze-excite yes|no`;

  constructor() {
    super(Array.from({ length: N }, (_, i) => decisionsFor(i + 1)).flat());
  }

  /** Each stage's choices, stage 1 first. */
  stages(arch: Architecture): MobileNetStage[] {
    this.own(arch);
    const v = arch.values;
    return Array.from({ length: N }, (_, i) => ({
      kernel: v[`kernel${i + 1}`] as number,
      expand: v[`expand${i + 1}`] as number,
      depth: v[`depth${i + 1}`] as number,
      se: v[`se${i + 1}`] as boolean,
    }));
  }

  /** The architecture with these stage choices (7 of them, stage 1 first). */
  fromStages(stages: readonly MobileNetStage[]): Architecture {
    if (stages.length !== N) throw new ArchitectureError(`mobilenet: expected ${N} stages, got ${stages.length}`);
    const v: Record<string, Value> = {};
    stages.forEach((s, i) => {
      v[`kernel${i + 1}`] = s.kernel;
      v[`expand${i + 1}`] = s.expand;
      v[`depth${i + 1}`] = s.depth;
      v[`se${i + 1}`] = s.se;
    });
    return this.arch(v);
  }

  /** Reads `k3e1d1,k3e6d2,...` (7 tokens, surrounding whitespace ignored) or the JSON form (starting with `{`). */
  override parse(text: string): Architecture {
    if (typeof text !== 'string') throw new ArchitectureError('mobilenet: expected a stage string');
    const s = text.trim();
    if (s.startsWith('{')) return super.parse(s);
    if (!s) throw new ArchitectureError(`mobilenet: empty architecture string (expected ${N} stage tokens joined by ',', e.g. ${MOBILENET_V2.map(formatStage).join(',')})`);
    const parts = s.split(',');
    if (parts.length !== N) throw new ArchitectureError(`mobilenet: '${text}' has ${parts.length} stage token(s), need ${N} (joined by ',')`);
    return this.fromStages(parts.map((p, i) => parseStage(p.trim(), i + 1)));
  }

  override format(arch: Architecture): string {
    return this.stages(arch).map(formatStage).join(',');
  }

  /** Every architecture is its own class: the template has no symmetry. */
  override uniqueCount(): number {
    return this.size();
  }

  /** The network (see the module comment). */
  override graph(arch: Architecture, o: NetworkOptions = {}): NetGraph {
    const cfg = mobilenetConfig(o);
    const stages = this.stages(arch);
    const widths = mobilenetWidths(cfg.channels);
    const strides = mobilenetStrides(cfg.input[1], cfg.input[2]);
    const act = 'relu6';
    const g = new GraphBuilder(cfg.input, this.name);
    let x = g.add('conv_bn_act', g.input, { out: widths.stem, k: 3, stride: strides.stem, act }, 'features.0');
    stages.forEach((s, i) => {
      x = g.scope(
        `features.${i + 1}`,
        () => {
          let y = x;
          for (let j = 0; j < s.depth; j++) {
            const attrs = { out: widths.stages[i], k: s.kernel, expand: s.expand, stride: j === 0 ? strides.stages[i] : 1, se: s.se ? MOBILENET_SE_RATIO : 0, act };
            y = g.add('mbconv', y, attrs, `${j}`);
          }
          return y;
        },
        `stage ${i + 1}`,
      );
    });
    x = g.add('conv_bn_act', x, { out: widths.last, k: 1, act }, `features.${N + 1}`);
    const logits = g.chain(x, [
      ['global_avg_pool', {}, 'avgpool'],
      ['dropout', { p: MOBILENET_DROPOUT }, 'classifier.0'],
      ['linear', { out: cfg.classes }, 'classifier.1'],
    ]);
    return g.output('logits', logits).build();
  }
}

/** The shared instance. */
export const mobilenet = new MobileNetSpace();
