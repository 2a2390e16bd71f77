import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averageRanks, kendallTau, pearson, spearman } from '../../src/oneshot/rank.js';

test('kendallTau and spearman: identical orders give 1, reversed give -1 (any monotone transform)', () => {
  const x = [0.1, 0.5, 0.3, 0.9, 0.7];
  assert.equal(kendallTau(x, x), 1);
  assert.equal(spearman(x, x), 1);
  assert.equal(kendallTau(x, x.map((v) => Math.exp(10 * v))), 1);
  assert.equal(kendallTau(x, x.map((v) => -v)), -1);
  assert.ok(Math.abs(spearman(x, x.map((v) => -(v ** 3))) + 1) < 1e-12);
});

test('kendallTau is tau-b with ties: a hand-computed example (and scipy.stats.kendalltau agrees: 0.4)', () => {
  // x = [1, 2, 2, 3], y = [1, 3, 2, 2]: of 6 pairs, (0,1) (0,2) (0,3) concordant, (1,3) discordant,
  // (1,2) tied in x, (2,3) tied in y; tau-b = (3 - 1) / sqrt((6 - 1)(6 - 1)) = 0.4.
  assert.ok(Math.abs(kendallTau([1, 2, 2, 3], [1, 3, 2, 2]) - 0.4) < 1e-12);
  // Average ranks [1, 2.5, 2.5, 4] and [1, 4, 2.5, 2.5]: covariance 2.25 over variance 4.5 -> rho = 0.5.
  assert.deepEqual(averageRanks([1, 2, 2, 3]), [1, 2.5, 2.5, 4]);
  assert.deepEqual(averageRanks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 3, 2, 2]) - 0.5) < 1e-12);
  // Without ties tau-b is the plain (C - D) / n0: [1, 2, 3, 4] against [2, 1, 4, 3] has 4 concordant, 2 discordant pairs.
  assert.ok(Math.abs(kendallTau([1, 2, 3, 4], [2, 1, 4, 3]) - 2 / 6) < 1e-12);
});

test('undefined correlations are NaN; bad input is a one-line RangeError', () => {
  assert.ok(Number.isNaN(kendallTau([1, 1, 1], [1, 2, 3])));
  assert.ok(Number.isNaN(spearman([1], [2])));
  assert.ok(Number.isNaN(pearson([2, 2], [1, 3])));
  assert.throws(() => kendallTau([1, 2], [1]), /differ in length/);
  assert.throws(() => spearman([1, Number.NaN], [1, 2]), /finite/);
});
