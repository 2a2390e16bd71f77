/**
 * The NAS-Bench-101 network, as in the benchmark's code (`nasbench/lib/model_builder.py`): stem
 * conv3x3-BN-ReLU (C channels); 3 stacks of N cells, with 2x2 max pooling (stride 2) and doubled
 * channels before stacks 2 and 3; global average pooling; a dense layer. Cells run on the pruned
 * spec. Its parameter count equals `nb101.measure(arch).params`.
 * @module
 */
import { type Tensor, cat, nn } from '../../engine/index.js';
import type { Architecture } from '../architecture.js';
import type { NetworkOptions } from '../space.js';
import { type Nb101Spec, nb101, nb101Config, vertexChannels } from '../spaces/nb101.js';

/** Convolution (no bias, 'same' padding), batch norm, ReLU: the benchmark's `conv_bn_relu`. */
export class ConvBNReLU extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;
  constructor(cin: number, cout: number, kernel: number) {
    super();
    this.conv = new nn.Conv2d(cin, cout, kernel, { padding: (kernel - 1) / 2, bias: false });
    this.bn = new nn.BatchNorm2d(cout);
  }
  override forward(x: Tensor): Tensor {
    const c = this.conv.call(x);
    try {
      const b = this.bn.call(c);
      try {
        return b.relu();
      } finally {
        b.dispose();
      }
    } finally {
      c.dispose();
    }
  }
}

/** 3x3 max pooling, stride 1, 'same' padding. */
class MaxPool3x3 extends nn.Module {
  readonly pool = new nn.MaxPool2d(3, { stride: 1, padding: 1 });
  override forward(x: Tensor): Tensor {
    return this.pool.call(x);
  }
}

/** One NAS-Bench-101 cell (`build_module`) on a pruned spec, from `cin` to `cout` channels. */
export class Nb101Cell extends nn.Module {
  readonly spec: Nb101Spec;
  readonly channels: readonly number[];
  /** `proj.<t>`: 1x1 projection of the cell input to node t (node n-1: the output). */
  readonly proj: nn.ModuleDict;
  /** `op.<t>`: the op of inner node t. */
  readonly op: nn.ModuleDict;
  constructor(spec: Nb101Spec, cin: number, cout: number) {
    super();
    this.spec = spec;
    const { matrix, ops } = spec;
    const n = matrix.length;
    const vc = vertexChannels(matrix, cin, cout);
    this.channels = vc;
    this.proj = new nn.ModuleDict();
    this.op = new nn.ModuleDict();
    for (let t = 1; t < n - 1; t++) {
      if (matrix[0][t]) this.proj.set(String(t), new ConvBNReLU(cin, vc[t], 1));
      this.op.set(String(t), ops[t] === 'maxpool3x3' ? new MaxPool3x3() : new ConvBNReLU(vc[t], vc[t], ops[t] === 'conv3x3-bn-relu' ? 3 : 1));
    }
    if (matrix[0][n - 1]) this.proj.set(String(n - 1), new ConvBNReLU(cin, cout, 1));
  }
  /** Intermediate tensors are not freed here: call it inside `tidy`, as every forward pass. */
  override forward(x: Tensor): Tensor {
    const { matrix } = this.spec;
    const n = matrix.length;
    const vc = this.channels;
    const nodes: Tensor[] = [x];
    const concat: Tensor[] = [];
    for (let t = 1; t < n - 1; t++) {
      const addIn: Tensor[] = [];
      for (let s = 1; s < t; s++) if (matrix[s][t]) addIn.push(nodes[s].shape[1] === vc[t] ? nodes[s] : nodes[s].narrow(1, 0, vc[t]));
      if (matrix[0][t]) addIn.push(this.proj.get(String(t)).call(x) as Tensor);
      let input = addIn[0];
      for (let k = 1; k < addIn.length; k++) input = input.add(addIn[k]);
      nodes.push(this.op.get(String(t)).call(input) as Tensor);
      if (matrix[t][n - 1]) concat.push(nodes[t]);
    }
    if (!concat.length) return this.proj.get(String(n - 1)).call(x) as Tensor;
    let out = concat.length === 1 ? concat[0] : cat(concat, 1);
    if (matrix[0][n - 1]) out = out.add(this.proj.get(String(n - 1)).call(x) as Tensor);
    return out;
  }
}

/** The whole NAS-Bench-101 network for one architecture; `call(x)` returns logits. */
export class Nb101Network extends nn.Module {
  readonly stem: ConvBNReLU;
  readonly layers: nn.ModuleList;
  readonly classifier: nn.Linear;
  constructor(arch: Architecture, o: NetworkOptions = {}) {
    super();
    const spec = nb101.pruned(arch);
    const cfg = nb101Config(o);
    const C = cfg.channels;
    this.stem = new ConvBNReLU(cfg.input[0], C, 3);
    this.layers = new nn.ModuleList();
    let cin = C;
    let c = C;
    for (let stack = 0; stack < 3; stack++) {
      if (stack > 0) {
        this.layers.append(new nn.MaxPool2d(2, { stride: 2, ceilMode: true }));
        c *= 2;
      }
      for (let i = 0; i < cfg.cells; i++) {
        this.layers.append(new Nb101Cell(spec, cin, c));
        cin = c;
      }
    }
    this.classifier = new nn.Linear(c, cfg.classes);
  }
  /** Intermediate tensors are not freed here: call it inside `tidy`. */
  override forward(x: Tensor): Tensor {
    let y = this.stem.call(x);
    for (const layer of this.layers) y = layer.call(y) as Tensor;
    return this.classifier.call(y.mean([2, 3]));
  }
}

/** Builds the NAS-Bench-101 network of `arch` (C=128, 3 cells per stack, 3x32x32, 10 classes unless told otherwise). */
export function buildNb101(arch: Architecture, o: NetworkOptions = {}): Nb101Network {
  return new Nb101Network(arch, o);
}
