/**
 * Loom's engine: tensors, autograd, modules and optimizers on libtorch.
 *
 * ```ts
 * import * as torch from 'loom-nas/engine';
 * const x = torch.randn([4, 3], { requiresGrad: true });
 * const y = x.mul(x).sum();
 * y.backward();
 * ```
 * @module
 */
export * from './dtype.js';
export * from './tensor.js';
export * as F from './functional.js';
export * as autograd from './autograd.js';
export { addonPath } from './native.js';
export * from './optim.js';
export * from './schedule.js';
export * as nn from './nn/index.js';
export * from './safetensors.js';
