/**
 * The network of a chain-structured architecture (`spaces/chain.ts`): its layers in order, then
 * global average pooling and a linear classifier. Its parameter count equals `chain.measure(arch).params`.
 * @module
 */
import { type Tensor, nn } from '../../engine/index.js';
import type { Architecture } from '../architecture.js';
import type { NetworkOptions } from '../space.js';
import { type ChainLayer, type ChainSpace, chain, chainConfig, scaledFilters } from '../spaces/chain.js';
import { ConvBNReLU } from './nb101.js';

/** Depthwise kxk conv, pointwise 1x1 conv (both without bias), BN, ReLU. */
export class SepConvBNReLU extends nn.Module {
  readonly depthwise: nn.Conv2d;
  readonly pointwise: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;
  constructor(cin: number, cout: number, kernel: number, stride: number) {
    super();
    this.depthwise = new nn.Conv2d(cin, cin, kernel, { stride, padding: (kernel - 1) / 2, groups: cin, bias: false });
    this.pointwise = new nn.Conv2d(cin, cout, 1, { bias: false });
    this.bn = new nn.BatchNorm2d(cout);
  }
  override forward(x: Tensor): Tensor {
    return this.bn.call(this.pointwise.call(this.depthwise.call(x))).relu();
  }
}

/** A strided conv-BN-ReLU (padding k//2). */
export class StridedConvBNReLU extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;
  constructor(cin: number, cout: number, kernel: number, stride: number) {
    super();
    this.conv = new nn.Conv2d(cin, cout, kernel, { stride, padding: (kernel - 1) / 2, bias: false });
    this.bn = new nn.BatchNorm2d(cout);
  }
  override forward(x: Tensor): Tensor {
    return this.bn.call(this.conv.call(x)).relu();
  }
}

/** One layer's module; returns it with its output channels. */
export function chainLayer(l: ChainLayer, cin: number, channels: number): { module: nn.Module; cout: number } {
  const pad = (l.kernel - 1) / 2;
  switch (l.type) {
    case 'max':
      return { module: new nn.MaxPool2d(l.kernel, { stride: l.stride, padding: pad }), cout: cin };
    case 'avg':
      return { module: new nn.AvgPool2d(l.kernel, { stride: l.stride, padding: pad, countIncludePad: false }), cout: cin };
    case 'conv': {
      const cout = scaledFilters(l.filters, channels);
      return { module: l.stride === 1 ? new ConvBNReLU(cin, cout, l.kernel) : new StridedConvBNReLU(cin, cout, l.kernel, l.stride), cout };
    }
    case 'sep': {
      const cout = scaledFilters(l.filters, channels);
      return { module: new SepConvBNReLU(cin, cout, l.kernel, l.stride), cout };
    }
  }
}

/** The chain network; `call(x)` returns logits. */
export class ChainNetwork extends nn.Module {
  readonly layers: nn.ModuleList;
  readonly classifier: nn.Linear;
  constructor(arch: Architecture, o: NetworkOptions = {}, space: ChainSpace = chain) {
    super();
    const cfg = chainConfig(space.name, o);
    this.layers = new nn.ModuleList();
    let c = cfg.input[0];
    for (const l of space.layers(arch)) {
      const { module, cout } = chainLayer(l, c, cfg.channels);
      this.layers.append(module);
      c = cout;
    }
    this.classifier = new nn.Linear(c, cfg.classes);
  }
  /** Intermediate tensors are not freed here: call it inside `tidy`. */
  override forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.call(y) as Tensor;
    return this.classifier.call(y.mean([2, 3]));
  }
}

export function buildChain(arch: Architecture, o: NetworkOptions = {}): ChainNetwork {
  return new ChainNetwork(arch, o);
}
