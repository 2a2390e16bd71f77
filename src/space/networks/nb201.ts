/**
 * The NAS-Bench-201 network, as in the benchmark's code (`TinyNetwork` with `InferCell`s): stem
 * conv3x3 + BN; three stages of N cells at C, 2C, 4C channels with a residual reduction block
 * (`ResNetBasicblock`, stride 2) between stages; BN + ReLU; global average pooling; a linear
 * classifier. Its parameter count equals `nb201.measure(arch).params`.
 * @module
 */
import { F, type Tensor, nn } from '../../engine/index.js';
import type { Architecture } from '../architecture.js';
import type { NetworkOptions } from '../space.js';
import { NB201_EDGES, type Nb201Op, nb201, nb201Config } from '../spaces/nb201.js';
import { ReLUConvBN } from './ops.js';

/** 3x3 average pooling, stride 1, padding 1, padding not counted (NB201's `POOLING`). */
class AvgPool3x3 extends nn.Module {
  override forward(x: Tensor): Tensor {
    return F.avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false });
  }
}

function makeOp(op: Nb201Op, c: number): nn.Module | null {
  switch (op) {
    case 'none':
      return null;
    case 'skip_connect':
      return new nn.Identity();
    case 'nor_conv_1x1':
      return new ReLUConvBN(c, c, 1, 1, 0);
    case 'nor_conv_3x3':
      return new ReLUConvBN(c, c, 3, 1, 1);
    case 'avg_pool_3x3':
      return new AvgPool3x3();
  }
}

/** One cell: node i is the sum of its incoming edges' ops; a node with only `none` inputs is zero. */
export class Nb201Cell extends nn.Module {
  readonly edges: nn.ModuleDict;
  readonly ops: readonly Nb201Op[];
  constructor(ops: readonly Nb201Op[], c: number) {
    super();
    this.ops = ops;
    this.edges = new nn.ModuleDict();
    NB201_EDGES.forEach(([to, from], k) => {
      const m = makeOp(ops[k], c);
      if (m) this.edges.set(`${to}_${from}`, m);
    });
  }
  /** Intermediate tensors are not freed here: call it inside `tidy`, as every forward pass. */
  override forward(x: Tensor): Tensor {
    const nodes: Tensor[] = [x];
    for (let to = 1; to <= 3; to++) {
      let sum: Tensor | null = null;
      for (let from = 0; from < to; from++) {
        const key = `${to}_${from}`;
        if (!this.edges.has(key)) continue;
        const y = this.edges.get(key).call(nodes[from]) as Tensor;
        sum = sum ? sum.add(y) : y;
      }
      nodes.push(sum ?? x.mul(0));
    }
    return nodes[3];
  }
}

/** NB201's residual reduction block: ReLU-Conv3x3(s2)-BN, ReLU-Conv3x3-BN, plus AvgPool2x2 + Conv1x1 on the shortcut. */
export class ResNetBasicBlock extends nn.Module {
  readonly convA: ReLUConvBN;
  readonly convB: ReLUConvBN;
  readonly downsample: nn.Sequential;
  constructor(cin: number, cout: number) {
    super();
    this.convA = new ReLUConvBN(cin, cout, 3, 2, 1);
    this.convB = new ReLUConvBN(cout, cout, 3, 1, 1);
    this.downsample = new nn.Sequential(new nn.AvgPool2d(2, { stride: 2 }), new nn.Conv2d(cin, cout, 1, { bias: false }));
  }
  override forward(x: Tensor): Tensor {
    return this.convB.call(this.convA.call(x)).add(this.downsample.call(x));
  }
}

/** The whole NB201 network for one architecture; `call(x)` returns logits. */
export class Nb201Network extends nn.Module {
  readonly stem: nn.Sequential;
  readonly cells: nn.ModuleList;
  readonly lastAct: nn.Sequential;
  readonly pool: nn.AdaptiveAvgPool2d;
  readonly classifier: nn.Linear;
  constructor(arch: Architecture, o: NetworkOptions = {}) {
    super();
    const ops = nb201.ops(arch);
    const cfg = nb201Config(o);
    const C = cfg.channels;
    this.stem = new nn.Sequential(new nn.Conv2d(cfg.input[0], C, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(C));
    this.cells = new nn.ModuleList();
    let c = C;
    for (let stage = 0; stage < 3; stage++) {
      if (stage > 0) {
        this.cells.append(new ResNetBasicBlock(c, 2 * c));
        c *= 2;
      }
      for (let i = 0; i < cfg.cells; i++) this.cells.append(new Nb201Cell(ops, c));
    }
    this.lastAct = new nn.Sequential(new nn.BatchNorm2d(c), new nn.ReLU());
    this.pool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Linear(c, cfg.classes);
  }
  /** Intermediate tensors are not freed here: call it inside `tidy`. */
  override forward(x: Tensor): Tensor {
    let y = this.stem.call(x);
    for (const cell of this.cells) y = cell.call(y) as Tensor;
    y = this.pool.call(this.lastAct.call(y));
    return this.classifier.call(y.flatten(1));
  }
}

/** Builds the NB201 network of `arch` (C=16, N=5, 3x32x32, 10 classes unless told otherwise). */
export function buildNb201(arch: Architecture, o: NetworkOptions = {}): Nb201Network {
  return new Nb201Network(arch, o);
}
