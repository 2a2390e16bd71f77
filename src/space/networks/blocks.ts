/**
 * The building blocks that registry ops (`graph/ops.ts`) build: composite modules with the module
 * names of the PyTorch code they follow (DARTS's operations.py, NAS-Bench-201's cell_operations.py),
 * so state dicts line up with converted checkpoints.
 * @module
 */
import { type Tensor, cat, nn } from '../../engine/index.js';
import { type Activation, activationModule } from '../graph/ops.js';

/** ReLU, convolution (no bias), BN, as `op` (a Sequential): DARTS's and NB201's `ReLUConvBN`. */
export class ReLUConvBN extends nn.Module {
  readonly op: nn.Sequential;
  constructor(cin: number, cout: number, kernel: number, stride: number, padding: number, dilation = 1) {
    super();
    this.op = new nn.Sequential(new nn.ReLU(), new nn.Conv2d(cin, cout, kernel, { stride, padding, dilation, bias: false }), new nn.BatchNorm2d(cout));
  }
  override forward(x: Tensor): Tensor {
    return this.op.call(x) as Tensor;
  }
}

/** Convolution (no bias), BN, activation (`conv`, `bn`, `act`): NAS-Bench-101's `conv_bn_relu` and MobileNet's ConvBNReLU. */
export class ConvBNAct extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;
  readonly act: nn.Module;
  constructor(cin: number, cout: number, kernel: number, o: { stride?: number; padding?: number; groups?: number; act?: Activation } = {}) {
    super();
    this.conv = new nn.Conv2d(cin, cout, kernel, { stride: o.stride ?? 1, padding: o.padding ?? (kernel - 1) >> 1, groups: o.groups ?? 1, bias: false });
    this.bn = new nn.BatchNorm2d(cout);
    this.act = activationModule(o.act ?? 'relu', nn);
  }
  override forward(x: Tensor): Tensor {
    const c = this.conv.call(x);
    const b = this.bn.call(c);
    c.dispose();
    const y = this.act.call(b) as Tensor;
    b.dispose();
    return y;
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

/**
 * ReLU, 1xk conv (stride along the width), kx1 conv (stride along the height), BN, as `op` (a
 * Sequential): DARTS's `conv_7x1_1x7` (operations.py), NASNet's "1x7 then 7x1 convolution".
 */
export class FactorizedConv extends nn.Module {
  readonly op: nn.Sequential;
  constructor(cin: number, cout: number, kernel: number, stride: number) {
    super();
    const p = (kernel - 1) >> 1;
    this.op = new nn.Sequential(
      new nn.ReLU(),
      new nn.Conv2d(cin, cout, [1, kernel], { stride: [1, stride], padding: [0, p], bias: false }),
      new nn.Conv2d(cout, cout, [kernel, 1], { stride: [stride, 1], padding: [p, 0], bias: false }),
      new nn.BatchNorm2d(cout),
    );
  }
  override forward(x: Tensor): Tensor {
    return this.op.call(x) as Tensor;
  }
}

/** DARTS's `FactorizedReduce`: ReLU, two 1x1 stride-2 convs (the second shifted by one pixel) to cout/2 channels each, concatenated, then BN. */
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

/**
 * NAS-Bench-201's `ResNetBasicblock`: ReLU-conv3x3(stride)-BN, ReLU-conv3x3-BN, plus the shortcut:
 * 2x2 average pooling and a 1x1 conv when the stride is 2, ReLU-conv1x1-BN when only the
 * channels change, else the input.
 */
export class ResNetBasicBlock extends nn.Module {
  readonly conv_a: ReLUConvBN;
  readonly conv_b: ReLUConvBN;
  readonly downsample: nn.Module | null;
  constructor(cin: number, cout: number, stride = 1) {
    super();
    if (stride !== 1 && stride !== 2) throw new Error(`ResNetBasicBlock: stride must be 1 or 2, got ${stride}`);
    this.conv_a = new ReLUConvBN(cin, cout, 3, stride, 1);
    this.conv_b = new ReLUConvBN(cout, cout, 3, 1, 1);
    this.downsample =
      stride === 2 ? new nn.Sequential(new nn.AvgPool2d(2, { stride: 2 }), new nn.Conv2d(cin, cout, 1, { bias: false })) : cin !== cout ? new ReLUConvBN(cin, cout, 1, 1, 0) : null;
  }
  override forward(x: Tensor): Tensor {
    const a = this.conv_a.call(x);
    const b = this.conv_b.call(a);
    a.dispose();
    const s = this.downsample ? (this.downsample.call(x) as Tensor) : x;
    const y = b.add(s);
    b.dispose();
    if (s !== x) s.dispose();
    return y;
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
 * Squeeze-and-excitation (Hu et al. 2018) as MnasNet and EfficientNet use it: global average
 * pooling, a 1x1 conv (with bias) to `reduced` channels, the block's activation, a 1x1 conv (with
 * bias) back to `c` channels, a sigmoid, and the input scaled channel-wise by that gate.
 */
export class SqueezeExcite extends nn.Module {
  readonly fc1: nn.Conv2d;
  readonly fc2: nn.Conv2d;
  readonly act: nn.Module;
  constructor(c: number, reduced: number, act: Activation = 'relu') {
    super();
    this.fc1 = new nn.Conv2d(c, reduced, 1);
    this.fc2 = new nn.Conv2d(reduced, c, 1);
    this.act = activationModule(act, nn);
  }
  override forward(x: Tensor): Tensor {
    const pooled = x.mean([2, 3], true);
    const r = this.fc1.call(pooled);
    pooled.dispose();
    const a = this.act.call(r) as Tensor;
    r.dispose();
    const e = this.fc2.call(a);
    a.dispose();
    const gate = e.sigmoid();
    e.dispose();
    const y = x.mul(gate);
    gate.dispose();
    return y;
  }
}

/**
 * The inverted-residual block of MobileNetV2 (Sandler et al. 2018) with MnasNet's optional
 * squeeze-and-excitation (the MBConv of Tan et al. 2019): `expand` (conv1x1-BN-act to
 * cin x expansion channels; absent when the expansion is 1), `depthwise` (depthwise kxk with the
 * stride, BN, act), `se` (a {@link SqueezeExcite} to `seReduced` channels; absent when 0),
 * `project` (conv1x1 to cout, no bias) and its `bn` (no activation: the linear bottleneck), plus
 * the input when the stride is 1 and cin equals cout.
 */
export class MBConv extends nn.Module {
  readonly expand: ConvBNAct | null;
  readonly depthwise: ConvBNAct;
  readonly se: SqueezeExcite | null;
  readonly project: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;
  /** Whether the block adds its input to its output. */
  readonly residual: boolean;
  constructor(cin: number, cout: number, o: { kernel: number; expansion: number; stride: number; seReduced: number; act: Activation }) {
    super();
    const mid = cin * o.expansion;
    this.expand = o.expansion === 1 ? null : new ConvBNAct(cin, mid, 1, { act: o.act });
    this.depthwise = new ConvBNAct(mid, mid, o.kernel, { stride: o.stride, groups: mid, act: o.act });
    this.se = o.seReduced > 0 ? new SqueezeExcite(mid, o.seReduced, o.act) : null;
    this.project = new nn.Conv2d(mid, cout, 1, { bias: false });
    this.bn = new nn.BatchNorm2d(cout);
    this.residual = o.stride === 1 && cin === cout;
  }
  override forward(x: Tensor): Tensor {
    // Each step frees the previous intermediate (autograd keeps what it needs).
    const step = (t: Tensor, f: (t: Tensor) => Tensor): Tensor => {
      const y = f(t);
      if (t !== x) t.dispose();
      return y;
    };
    let h = this.expand ? this.expand.call(x) : x;
    h = step(h, (t) => this.depthwise.call(t));
    if (this.se) h = step(h, (t) => (this.se as SqueezeExcite).call(t));
    h = step(h, (t) => this.project.call(t));
    h = step(h, (t) => this.bn.call(t));
    return this.residual ? step(h, (t) => t.add(x)) : h;
  }
}
