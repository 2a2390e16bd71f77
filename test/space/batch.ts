import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { dispose, F, manualSeed, type nn, randint, randn, type Tensor, tidy } from '../../src/engine/index.js';

type Module = nn.Module;

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

/**
 * One forward and backward pass of `net` on (x, y), inside a tidy scope: the loss, the logits'
 * shape, and the summed absolute gradients of the first parameter (the stem) and the last (the
 * classifier's bias). Gradients stay on the parameters for the caller to clear.
 */
export function forwardBackward(net: Module, x: Tensor, y: Tensor): { loss: number; shape: number[]; stemGrad: number; biasGrad: number } {
  return tidy(() => {
    const logits = net.call(x) as Tensor;
    const l = F.crossEntropy(logits, y);
    l.backward();
    const params = [...net.parameters()];
    const g = (t: Tensor) => (t.grad ? t.grad.abs().sum().item() : 0);
    return { loss: l.item(), shape: logits.shape, stemGrad: g(params[0]), biasGrad: g(params[params.length - 1]) };
  });
}

/**
 * One training step of a network with an auxiliary head on `x` (random labels, aux loss weight
 * 0.4 as DARTS), inside a tidy scope: the shapes of the logits and of the auxiliary logits.
 */
export function auxTrainStep(net: { forwardWithAux(x: Tensor): { logits: Tensor; aux: Tensor | null } }, x: Tensor, classes = 10): number[][] {
  return tidy(() => {
    const { logits, aux } = net.forwardWithAux(x);
    if (!aux) throw new Error('the network gave no auxiliary logits in training mode');
    const n = x.shape[0];
    F.crossEntropy(logits, randint(0, classes, [n])).add(F.crossEntropy(aux, randint(0, classes, [n])).mul(0.4)).backward();
    return [logits.shape, aux.shape];
  });
}
