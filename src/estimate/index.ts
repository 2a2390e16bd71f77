/**
 * How good is an architecture: training loops (and, later, tabular lookup, predictors and
 * zero-cost proxies behind one interface).
 * @module
 */
export * from './train.js';
export * from './baseline.js';
export * from './curve.js';
export * from './pruner.js';
export * from './trial.js';
export * from './inherit.js';
export * from './model.js';
