/**
 * The network of a multi-branch architecture (`spaces/multibranch.ts`): chain layers whose inputs
 * merge the predecessor with the chosen skip inputs (resized by adaptive average pooling; summed
 * after a 1x1 conv + BN projection where channels differ, or concatenated), then global average
 * pooling and a linear classifier. Its parameter count equals `multibranch.measure(arch).params`.
 * @module
 */
import { F, type Tensor, cat, nn } from '../../engine/index.js';
import type { Architecture } from '../architecture.js';
import type { NetworkOptions } from '../space.js';
import { chainConfig } from '../spaces/chain.js';
import { type MultiBranchMerge, type MultiBranchSpace, multibranch } from '../spaces/multibranch.js';
import { chainLayer } from './chain.js';

/** 1x1 conv (no bias) + BN: a skip input's projection to the predecessor's channels. */
class Projection extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;
  constructor(cin: number, cout: number) {
    super();
    this.conv = new nn.Conv2d(cin, cout, 1, { bias: false });
    this.bn = new nn.BatchNorm2d(cout);
  }
  override forward(x: Tensor): Tensor {
    return this.bn.call(this.conv.call(x));
  }
}

export class MultiBranchNetwork extends nn.Module {
  readonly layers: nn.ModuleList;
  /** `"<layer>_<skip>"`: projections of skip inputs (sum merge, differing channels). */
  readonly projections: nn.ModuleDict;
  readonly classifier: nn.Linear;
  readonly merge: MultiBranchMerge;
  readonly skips: readonly (readonly number[])[];
  constructor(arch: Architecture, o: NetworkOptions = {}, space: MultiBranchSpace = multibranch) {
    super();
    const cfg = chainConfig(space.name, o);
    const { out, cin } = space.shapes(arch, cfg.input, cfg.channels);
    const layers = space.layers(arch);
    this.merge = space.merge(arch);
    this.skips = layers.map((l) => l.skips);
    this.layers = new nn.ModuleList();
    this.projections = new nn.ModuleDict();
    layers.forEach((l, i) => {
      const main = i === 0 ? cfg.input[0] : out[i - 1][0];
      if (this.merge === 'sum') for (const j of l.skips) if (out[j][0] !== main) this.projections.set(`${i}_${j}`, new Projection(out[j][0], main));
      this.layers.append(chainLayer(l, cin[i], cfg.channels).module);
    });
    this.classifier = new nn.Linear(out[out.length - 1][0], cfg.classes);
  }
  /** Intermediate tensors are not freed here: call it inside `tidy`. */
  override forward(x: Tensor): Tensor {
    const outs: Tensor[] = [];
    let prev = x;
    [...this.layers].forEach((layer, i) => {
      let input = prev;
      const [h, w] = [prev.shape[2], prev.shape[3]];
      const resized = this.skips[i].map((j) => (outs[j].shape[2] === h && outs[j].shape[3] === w ? outs[j] : F.adaptiveAvgPool2d(outs[j], [h, w])));
      if (this.merge === 'concat') {
        if (resized.length) input = cat([prev, ...resized], 1);
      } else {
        this.skips[i].forEach((j, k) => {
          const key = `${i}_${j}`;
          input = input.add(this.projections.has(key) ? (this.projections.get(key).call(resized[k]) as Tensor) : resized[k]);
        });
      }
      prev = layer.call(input) as Tensor;
      outs.push(prev);
    });
    return this.classifier.call(prev.mean([2, 3]));
  }
}

export function buildMultiBranch(arch: Architecture, o: NetworkOptions = {}): MultiBranchNetwork {
  return new MultiBranchNetwork(arch, o);
}
