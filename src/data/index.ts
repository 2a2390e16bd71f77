/**
 * Datasets, splits, batching and augmentation (on the engine's tensors).
 * @module
 */
export * from './idx.js';
export * from './fashion-mnist.js';
export * from './loader.js';
export * from './augment.js';
export * from './errors.js';
export * from './datasets.js';
export * from './png.js';
