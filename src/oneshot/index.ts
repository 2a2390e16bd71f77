/**
 * One-shot NAS: weight-sharing supernets of cell spaces ({@link Supernet}) and the search methods
 * that train them (DARTS, GDAS), all on one training-step skeleton (`search.ts`).
 * @module
 */
export * from './supernet.js';
export * from './search.js';
export * from './darts.js';
export * from './gdas.js';
