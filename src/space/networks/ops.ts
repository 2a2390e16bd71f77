/**
 * Building blocks shared by the cell-based networks (NAS-Bench-201, and later DARTS and NASNet).
 * @module
 */
import { type Tensor, nn } from '../../engine/index.js';

/** ReLU, then a convolution without bias, then batch norm (NB201's and DARTS's `ReLUConvBN`). */
export class ReLUConvBN extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;
  constructor(cin: number, cout: number, kernel: number, stride: number, padding: number) {
    super();
    this.conv = new nn.Conv2d(cin, cout, kernel, { stride, padding, bias: false });
    this.bn = new nn.BatchNorm2d(cout);
  }
  override forward(x: Tensor): Tensor {
    const r = x.relu();
    try {
      const c = this.conv.call(r);
      try {
        return this.bn.call(c);
      } finally {
        c.dispose();
      }
    } finally {
      r.dispose();
    }
  }
}
