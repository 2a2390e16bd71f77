/**
 * Rank correlations between two scorings of the same architectures (e.g. a supernet's accuracy
 * against stand-alone training): how far a weight-sharing search can be trusted to order
 * architectures (Yu et al., "Evaluating the Search Phase of Neural Architecture Search", 2020).
 *
 * - {@link kendallTau}: Kendall's tau-b, which corrects for ties in either list (what
 *   `scipy.stats.kendalltau` returns by default): (concordant - discordant) pairs over
 *   sqrt((n0 - tiesX) (n0 - tiesY)), n0 = n (n - 1) / 2.
 * - {@link spearman}: Spearman's rho, Pearson's correlation of the ranks (tied values share their
 *   average rank).
 *
 * Both are NaN when undefined: fewer than two items, or a list whose values are all equal.
 * @module
 */

function check(x: readonly number[], y: readonly number[], what: string): void {
  if (x.length !== y.length) throw new RangeError(`${what}: the two lists differ in length (${x.length} and ${y.length})`);
  for (const v of [...x, ...y]) if (!Number.isFinite(v)) throw new RangeError(`${what}: values must be finite numbers, got ${v}`);
}

/** Kendall's tau-b of two equally long lists of finite numbers (O(n^2); fine for the hundreds of items a benchmark ranks). */
export function kendallTau(x: readonly number[], y: readonly number[]): number {
  check(x, y, 'kendallTau');
  const n = x.length;
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0) tiesX++;
      if (dy === 0) tiesY++;
      if (dx === 0 || dy === 0) continue;
      if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const denom = Math.sqrt((n0 - tiesX) * (n0 - tiesY));
  return denom > 0 ? (concordant - discordant) / denom : Number.NaN;
}

/** 1-based ranks of `x`, ascending; tied values share their average rank. */
export function averageRanks(x: readonly number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(x.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k][1]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Pearson's correlation (NaN when either list is constant or shorter than two). */
export function pearson(x: readonly number[], y: readonly number[]): number {
  check(x, y, 'pearson');
  const n = x.length;
  if (n < 2) return Number.NaN;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
}

/** Spearman's rho: {@link pearson} of the {@link averageRanks}. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  check(x, y, 'spearman');
  return pearson(averageRanks(x), averageRanks(y));
}
