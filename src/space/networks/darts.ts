/**
 * The DARTS evaluation network, as in the DARTS code (`NetworkCIFAR` in model.py, the ops of
 * operations.py), with the same module names, so a state dict converted from a DARTS checkpoint
 * lines up: `stem`, `cells.<i>.preprocess0/1`, `cells.<i>._ops.<k>`, `auxiliary_head`,
 * `classifier`. Drop-path is omitted. Its parameter count equals `darts.measure(arch, o).params`
 * (with the auxiliary head counted only when it is built; {@link DartsNetwork.numMainParameters}
 * leaves it out, as DARTS's `count_parameters_in_MB` does).
 * @module
 */
import { F, type Tensor, cat, nn } from '../../engine/index.js';
import type { Architecture } from '../architecture.js';
import {
  DARTS_CONCAT,
  DARTS_STEM_MULTIPLIER,
  type DartsEdge,
  type DartsNetworkOptions,
  type DartsOp,
  darts,
  dartsAuxCell,
  dartsConfig,
  dartsReductionCells,
} from '../spaces/darts.js';

/** ReLU, conv (no bias), BN, as `op` (a Sequential), like DARTS's `ReLUConvBN`. */
export class DartsReLUConvBN extends nn.Module {
  readonly op: nn.Sequential;
  constructor(cin: number, cout: number, kernel: number, stride: number, padding: number) {
    super();
    this.op = new nn.Sequential(new nn.ReLU(), new nn.Conv2d(cin, cout, kernel, { stride, padding, bias: false }), new nn.BatchNorm2d(cout));
  }
  override forward(x: Tensor): Tensor {
    return this.op.call(x) as Tensor;
  }
}

/** DARTS's `DilConv`: ReLU, dilated depthwise kxk, pointwise 1x1, BN. */
export class DilConv extends nn.Module {
  readonly op: nn.Sequential;
  constructor(cin: number, cout: number, kernel: number, stride: number, padding: number, dilation: number) {
    super();
    this.op = new nn.Sequential(
      new nn.ReLU(),
      new nn.Conv2d(cin, cin, kernel, { stride, padding, dilation, groups: cin, bias: false }),
      new nn.Conv2d(cin, cout, 1, { bias: false }),
      new nn.BatchNorm2d(cout),
    );
  }
  override forward(x: Tensor): Tensor {
    return this.op.call(x) as Tensor;
  }
}

/** DARTS's `SepConv`: two (ReLU, depthwise kxk, pointwise 1x1, BN) blocks; only the first has the stride. */
export class SepConv extends nn.Module {
  readonly op: nn.Sequential;
  constructor(cin: number, cout: number, kernel: number, stride: number, padding: number) {
    super();
    this.op = new nn.Sequential(
      new nn.ReLU(),
      new nn.Conv2d(cin, cin, kernel, { stride, padding, groups: cin, bias: false }),
      new nn.Conv2d(cin, cin, 1, { bias: false }),
      new nn.BatchNorm2d(cin),
      new nn.ReLU(),
      new nn.Conv2d(cin, cin, kernel, { stride: 1, padding, groups: cin, bias: false }),
      new nn.Conv2d(cin, cout, 1, { bias: false }),
      new nn.BatchNorm2d(cout),
    );
  }
  override forward(x: Tensor): Tensor {
    return this.op.call(x) as Tensor;
  }
}

/** DARTS's `FactorizedReduce`: ReLU, then two 1x1 stride-2 convs (the second shifted by one pixel) to cout/2 channels each, concatenated, then BN. */
export class FactorizedReduce extends nn.Module {
  readonly conv_1: nn.Conv2d;
  readonly conv_2: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;
  constructor(cin: number, cout: number) {
    super();
    if (cout % 2) throw new Error(`FactorizedReduce: output channels must be even, got ${cout}`);
    this.conv_1 = new nn.Conv2d(cin, cout / 2, 1, { stride: 2, bias: false });
    this.conv_2 = new nn.Conv2d(cin, cout / 2, 1, { stride: 2, bias: false });
    this.bn = new nn.BatchNorm2d(cout);
  }
  override forward(x: Tensor): Tensor {
    const r = x.relu();
    const shifted = r.slice(2, 1).slice(3, 1);
    return this.bn.call(cat([this.conv_1.call(r), this.conv_2.call(shifted)], 1));
  }
}

/** 3x3 max pooling, padding 1. */
class MaxPool3x3 extends nn.Module {
  constructor(readonly stride: number) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.maxPool2d(x, 3, { stride: this.stride, padding: 1 });
  }
}
/** 3x3 average pooling, padding 1, padding not counted. */
class AvgPool3x3 extends nn.Module {
  constructor(readonly stride: number) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.avgPool2d(x, 3, { stride: this.stride, padding: 1, countIncludePad: false });
  }
}

/** One op of a cell, as DARTS's `OPS[name](C, stride, affine=True)`. */
export function dartsOp(op: DartsOp, c: number, stride: number): nn.Module {
  switch (op) {
    case 'max_pool_3x3':
      return new MaxPool3x3(stride);
    case 'avg_pool_3x3':
      return new AvgPool3x3(stride);
    case 'skip_connect':
      return stride === 1 ? new nn.Identity() : new FactorizedReduce(c, c);
    case 'sep_conv_3x3':
      return new SepConv(c, c, 3, stride, 1);
    case 'sep_conv_5x5':
      return new SepConv(c, c, 5, stride, 2);
    case 'dil_conv_3x3':
      return new DilConv(c, c, 3, stride, 2, 2);
    case 'dil_conv_5x5':
      return new DilConv(c, c, 5, stride, 4, 2);
  }
}

/** A DARTS cell (`Cell` in model.py): preprocess s0 and s1 to C channels, 4 nodes, concat nodes 2..5. */
export class DartsCell extends nn.Module {
  readonly preprocess0: nn.Module;
  readonly preprocess1: DartsReLUConvBN;
  readonly _ops: nn.ModuleList;
  readonly reduction: boolean;
  readonly indices: readonly number[];
  /** Output channels: 4C. */
  readonly outChannels: number;
  constructor(edges: readonly DartsEdge[], cPrevPrev: number, cPrev: number, c: number, reduction: boolean, reductionPrev: boolean) {
    super();
    this.preprocess0 = reductionPrev ? new FactorizedReduce(cPrevPrev, c) : new DartsReLUConvBN(cPrevPrev, c, 1, 1, 0);
    this.preprocess1 = new DartsReLUConvBN(cPrev, c, 1, 1, 0);
    this._ops = new nn.ModuleList(edges.map(([op, idx]) => dartsOp(op, c, reduction && idx < 2 ? 2 : 1)));
    this.reduction = reduction;
    this.indices = Object.freeze(edges.map(([, idx]) => idx));
    this.outChannels = DARTS_CONCAT.length * c;
  }
  /** Intermediate tensors are not freed here: call it inside `tidy`, as every forward pass. */
  override forward(s0: Tensor, s1: Tensor): Tensor {
    const states = [this.preprocess0.call(s0) as Tensor, this.preprocess1.call(s1)];
    for (let i = 0; i < this.indices.length / 2; i++) {
      const h1 = this._ops.at(2 * i).call(states[this.indices[2 * i]]) as Tensor;
      const h2 = this._ops.at(2 * i + 1).call(states[this.indices[2 * i + 1]]) as Tensor;
      states.push(h1.add(h2));
    }
    return cat(
      DARTS_CONCAT.map((j) => states[j]),
      1,
    );
  }
}

/** DARTS's `AuxiliaryHeadCIFAR` (for an 8x8 input): ReLU, avgpool 5/3, conv1x1 -> 128, BN, ReLU, conv2x2 -> 768, BN, ReLU, linear. */
export class AuxiliaryHeadCIFAR extends nn.Module {
  readonly features: nn.Sequential;
  readonly classifier: nn.Linear;
  constructor(c: number, classes: number) {
    super();
    this.features = new nn.Sequential(
      new nn.ReLU(),
      new nn.AvgPool2d(5, { stride: 3, padding: 0, countIncludePad: false }),
      new nn.Conv2d(c, 128, 1, { bias: false }),
      new nn.BatchNorm2d(128),
      new nn.ReLU(),
      new nn.Conv2d(128, 768, 2, { bias: false }),
      new nn.BatchNorm2d(768),
      new nn.ReLU(),
    );
    this.classifier = new nn.Linear(768, classes);
  }
  override forward(x: Tensor): Tensor {
    return this.classifier.call((this.features.call(x) as Tensor).flatten(1));
  }
}

/**
 * The DARTS evaluation network (`NetworkCIFAR`) of an architecture. `call(x)` returns the logits;
 * {@link forwardWithAux} also returns the auxiliary head's logits (in training mode, when built).
 */
export class DartsNetwork extends nn.Module {
  readonly stem: nn.Sequential;
  readonly cells: nn.ModuleList;
  readonly auxiliary_head: AuxiliaryHeadCIFAR | null;
  readonly global_pooling: nn.AdaptiveAvgPool2d;
  readonly classifier: nn.Linear;
  readonly auxCell: number;
  constructor(arch: Architecture, o: DartsNetworkOptions = {}) {
    super();
    const g = darts.genotype(arch);
    const cfg = dartsConfig(o);
    const cStem = DARTS_STEM_MULTIPLIER * cfg.channels;
    this.stem = new nn.Sequential(new nn.Conv2d(cfg.input[0], cStem, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(cStem));
    this.cells = new nn.ModuleList();
    const reductions = dartsReductionCells(cfg.cells);
    this.auxCell = dartsAuxCell(cfg.cells);
    let [cPP, cP, c] = [cStem, cStem, cfg.channels];
    let reductionPrev = false;
    let cAux = 0;
    for (let i = 0; i < cfg.cells; i++) {
      const reduction = reductions.includes(i);
      if (reduction) c *= 2;
      const cell = new DartsCell(reduction ? g.reduce : g.normal, cPP, cP, c, reduction, reductionPrev);
      this.cells.append(cell);
      reductionPrev = reduction;
      [cPP, cP] = [cP, cell.outChannels];
      if (i === this.auxCell) cAux = cP;
    }
    this.auxiliary_head = cfg.auxiliary ? new AuxiliaryHeadCIFAR(cAux, cfg.classes) : null;
    this.global_pooling = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Linear(cP, cfg.classes);
  }

  /** Parameters outside the auxiliary head (what DARTS reports). */
  numMainParameters(): number {
    return this.numParameters() - (this.auxiliary_head ? this.auxiliary_head.numParameters() : 0);
  }

  /** Logits, and the auxiliary logits when the head is built and the network is in training mode (else null). Call inside `tidy`. */
  forwardWithAux(x: Tensor): { logits: Tensor; aux: Tensor | null } {
    let s0 = this.stem.call(x) as Tensor;
    let s1 = s0;
    let aux: Tensor | null = null;
    let i = 0;
    for (const cell of this.cells) {
      [s0, s1] = [s1, (cell as DartsCell).call(s0, s1)];
      if (i === this.auxCell && this.auxiliary_head && this.training) aux = this.auxiliary_head.call(s1);
      i++;
    }
    const logits = this.classifier.call((this.global_pooling.call(s1) as Tensor).flatten(1));
    return { logits, aux };
  }

  /** Intermediate tensors are not freed here: call it inside `tidy`. */
  override forward(x: Tensor): Tensor {
    return this.forwardWithAux(x).logits;
  }
}

/** Builds the DARTS network of `arch` (C=36, 20 cells, 3x32x32, 10 classes, no auxiliary head unless told otherwise). */
export function buildDarts(arch: Architecture, o: DartsNetworkOptions = {}): DartsNetwork {
  return new DartsNetwork(arch, o);
}
