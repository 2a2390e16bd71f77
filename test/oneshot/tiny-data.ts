/**
 * A few hundred Fashion-MNIST images for the one-shot method tests (SPOS, random-WS, ENAS), and
 * the skip reason when the data set is not installed.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/datasets.js';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { dispose } from '../../src/engine/index.js';
import type { OneShotData } from '../../src/oneshot/search.js';

export const haveFashion = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
/** `skip` for tests that need the data. */
export const skipNoData: string | false = haveFashion ? false : `Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; looked in ${FASHION_MNIST_DIR})`;

/** `train` training images and `val` validation images (seeded split of the first `train + val`). */
export function tinyFashion(train = 384, val = 192): OneShotData {
  const d = loadDataset('fashion-mnist', { trainLimit: train + val, valSize: val, seed: 0, includeTest: false });
  return { train: d.train, val: d.val as OneShotData['val'] };
}

/** Frees what {@link tinyFashion} loaded. */
export function freeData(d: OneShotData | undefined): void {
  if (d) dispose([d.train.images, d.train.labels, d.val.images, d.val.labels]);
}

/** Network options of the tiny supernets: Fashion-MNIST's 1x28x28 inputs, 4 channels, one cell per stage. */
export const TINY_NB201 = { input: [1, 28, 28] as [number, number, number], classes: 10, channels: 4, cells: 1 };
export const TINY_DARTS = { input: [1, 28, 28] as [number, number, number], classes: 10, channels: 4, cells: 3 };
