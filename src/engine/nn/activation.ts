/**
 * Activation modules, like `torch.nn.ReLU` and friends. Each wraps the function of the same name
 * in `F`.
 * @module
 */
import * as F from '../functional.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** max(0, x) */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}
/** min(max(0, x), 6) */
export class ReLU6 extends Module {
  override forward(x: Tensor): Tensor {
    return F.relu6(x);
  }
}
/** x for x ≥ 0, negativeSlope·x otherwise. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}
/** x for x > 0, alpha·(eˣ − 1) otherwise. */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}
/** Scaled ELU with the self-normalising constants. */
export class SELU extends Module {
  override forward(x: Tensor): Tensor {
    return F.selu(x);
  }
}
/** x·Φ(x); `approximate: 'tanh'` uses the tanh formula. */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.gelu(x, this.approximate);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}
/** x·σ(x) (also called Swish). */
export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}
/** x·ReLU6(x + 3)/6 */
export class Hardswish extends Module {
  override forward(x: Tensor): Tensor {
    return F.hardswish(x);
  }
}
/** ReLU6(x + 3)/6 */
export class Hardsigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return F.hardsigmoid(x);
  }
}
/** clamp(x, minVal, maxVal) */
export class Hardtanh extends Module {
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1,
  ) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.hardtanh(x, this.minVal, this.maxVal);
  }
}
/** 1 / (1 + e⁻ˣ) */
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}
/** tanh(x) */
export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}
/** log(1 + e^(beta·x)) / beta, linear above `threshold`. */
export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.softplus(x, this.beta, this.threshold);
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}
/** x·tanh(softplus(x)) */
export class Mish extends Module {
  override forward(x: Tensor): Tensor {
    return F.mish(x);
  }
}
/** Softmax along `dim`. */
export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
/** Log-softmax along `dim`. */
export class LogSoftmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
