/**
 * Loom: neural architecture search in TypeScript, on libtorch.
 *
 * The package root re-exports the engine (tensors, autograd, `nn`, optimizers, schedules),
 * the data layer and the training loop; `loom-nas/engine` is the engine alone.
 * @module
 */
export * from './engine/index.js';
export * from './data/index.js';
export * from './estimate/index.js';
export { Progress, formatDuration } from './util/progress.js';
export { Rng } from './util/rng.js';
