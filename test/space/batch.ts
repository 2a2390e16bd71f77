import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { type Tensor, dispose, manualSeed, randint, randn } from '../../src/engine/index.js';

const haveFashion = existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));

/**
 * A real batch for the space tests: 16 Fashion-MNIST test images (1x28x28) when the Debian
 * package is installed, else 16 seeded random images of `fallbackChannels`x16x16.
 */
export function realBatch(fallbackChannels = 1): { x: Tensor; y: Tensor; input: [number, number, number] } {
  if (haveFashion) {
    const d = loadFashionMnist({ trainLimit: 1, testLimit: 16 });
    dispose(d.train);
    return { x: d.test.images, y: d.test.labels, input: [1, 28, 28] };
  }
  manualSeed(0);
  return { x: randn([16, fallbackChannels, 16, 16]), y: randint(0, 10, [16]), input: [fallbackChannels, 16, 16] };
}
