/**
 * Neural-network modules, like `torch.nn`: the {@link Module} base class, layers, containers and
 * weight initialisers (`init`). Import as `nn` from the engine: `new nn.Conv2d(3, 16, 3)`.
 * @module
 */
export * from './module.js';
export * from './activation.js';
export * from './container.js';
export * from './conv.js';
export * from './dropout.js';
export * from './flatten.js';
export * from './linear.js';
export * from './normalization.js';
export * from './pooling.js';
export * from './sparse.js';
export * as init from './init.js';
