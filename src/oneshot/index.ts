/**
 * One-shot NAS: weight-sharing supernets of cell spaces ({@link Supernet}) and the search methods
 * that train them (DARTS, GDAS, ENAS, SPOS, random search with weight sharing), all on one
 * training-step skeleton (`search.ts`); `rank.ts` has the rank correlations that judge a supernet.
 * @module
 */
export * from './supernet.js';
export * from './search.js';
export * from './darts.js';
export * from './darts-pt.js';
export * from './gdas.js';
export * from './spos.js';
export * from './random-ws.js';
export * from './enas.js';
export * from './rank.js';
