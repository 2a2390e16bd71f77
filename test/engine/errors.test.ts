// Bad input never aborts the process: every mistake becomes a JS Error with a clear message,
// and the engine keeps working afterwards (each check runs an op after the error).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  F,
  Tensor,
  arange,
  autograd,
  bernoulli,
  cat,
  cuda,
  einsum,
  eye,
  full,
  linspace,
  manualSeed,
  memory,
  multinomial,
  ones,
  outer,
  rand,
  randint,
  randn,
  randperm,
  setNumThreads,
  stack,
  tensor,
  tidy,
  where,
  zeros,
  zerosLike,
} from '../../src/engine/index.js';

const long = (d: Parameters<typeof tensor>[0]): Tensor => tensor(d, { dtype: 'int64' });

/** A small computation that must still give the right answer after an error. */
function stillWorks(): void {
  tidy(() => {
    const y = tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]])).sum();
    assert.equal(y.item(), 10);
  });
}

/** Asserts `fn` throws an Error (not an abort, not a non-Error) whose message matches, then that the engine still works. */
function throwsClearly(fn: () => unknown, message: RegExp): void {
  tidy(() => {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof Error, `expected an Error, got ${String(e)}`);
      assert.match(e.message, message);
      // no C++ backtraces or internal file paths in the message
      assert.doesNotMatch(e.message, /Exception raised from|frame #\d/);
      return true;
    });
  });
  stillWorks();
}

describe('wrong shapes', () => {
  test('matmul, bmm and linear with incompatible shapes', () => {
    throwsClearly(() => zeros([2, 3]).matmul(zeros([2, 3])), /cannot be multiplied \(2x3 and 2x3\)/);
    throwsClearly(() => zeros([2, 2, 3]).matmul(zeros([2, 4, 3])), /size|shape|match/i);
    throwsClearly(() => zeros([3]).matmul(zeros([4])), /inconsistent|size|shape/i);
    throwsClearly(() => zeros([2, 3]).bmm(zeros([3, 2])), /3D tensor/);
    throwsClearly(() => zeros([2, 2, 3]).bmm(zeros([2, 2, 3])), /Expected size|wrong|match|shape/i);
    throwsClearly(() => F.linear(zeros([2, 3]), zeros([4, 2])), /cannot be multiplied/);
  });

  test('conv2d with the wrong number of channels or dimensions', () => {
    throwsClearly(() => F.conv2d(zeros([1, 3, 5, 5]), zeros([4, 2, 3, 3])), /expected input\[1, 3, 5, 5\] to have 2 channels, but got 3 channels/);
    throwsClearly(() => F.conv2d(zeros([1, 4, 5, 5]), zeros([4, 3, 3, 3]), null, { groups: 2 }), /channels/);
    throwsClearly(() => F.conv2d(zeros([5, 5]), zeros([1, 1, 3, 3])), /conv2d expects input of shape \[N, C, H, W\]/);
    throwsClearly(() => F.conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 3, 3])), /Kernel size can't be greater than actual input size/);
    throwsClearly(() => F.conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), zeros([2])), /bias/i);
    throwsClearly(() => F.conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), null, { stride: 0 }), /stride/);
    throwsClearly(() => F.conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), null, { padding: -1 }), /negative padding/);
    throwsClearly(() => F.conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), null, { stride: [1, 1, 1] as unknown as [number, number] }), /pair of integers/);
  });

  test('cat and stack of mismatched shapes', () => {
    throwsClearly(() => cat([zeros([2, 3]), zeros([2, 4])]), /Sizes of tensors must match except in dimension 0/);
    throwsClearly(() => cat([zeros([2, 3]), zeros([2])]), /same number of dimensions|dimension|zero-dimensional/i);
    throwsClearly(() => cat([]), /non-empty list/);
    throwsClearly(() => cat([zeros([2])], 3), /Dimension out of range/);
    throwsClearly(() => stack([zeros([2]), zeros([3])]), /stack expects each tensor to be equal size/);
    throwsClearly(() => cat([zeros([1]), null as unknown as Tensor]), /element 1 is not a Tensor/);
  });

  test('view on a non-contiguous tensor', () => {
    throwsClearly(() => zeros([2, 3]).t().view(6), /view size is not compatible.*Use \.reshape/);
    throwsClearly(() => zeros([2, 3]).view(4), /shape '\[4\]' is invalid for input of size 6/);
    throwsClearly(() => zeros([2, 3]).reshape(5, -1), /invalid for input of size 6/);
    throwsClearly(() => zeros([2, 3]).view(-1, -1), /only one dimension can be inferred/);
  });

  test('elementwise ops that cannot broadcast', () => {
    throwsClearly(() => zeros([2, 3]).add(zeros([3, 2])), /The size of tensor a \(3\) must match the size of tensor b \(2\)/);
    throwsClearly(() => zeros([3]).add_(zeros([2, 3])), /doesn't match the broadcast shape/);
    throwsClearly(() => where(tensor([true, false, true]), zeros([2]), 0), /must match/);
    throwsClearly(() => F.mseLoss(zeros([2, 3]), zeros([3, 2])), /must match/);
  });

  test('dims and indices out of range', () => {
    const x = () => zeros([2, 3]);
    throwsClearly(() => x().transpose(0, 5), /Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)/);
    throwsClearly(() => x().sum(2), /Dimension out of range/);
    throwsClearly(() => x().squeeze(4), /Dimension out of range/);
    throwsClearly(() => x().unsqueeze(4), /Dimension out of range/);
    throwsClearly(() => x().select(0, 5), /index 5 out of range/);
    throwsClearly(() => x().narrow(1, 2, 5), /exceeds dimension size/);
    throwsClearly(() => x().slice(0, 0, 1, 0), /slice step must be positive/);
    throwsClearly(() => x().permute(0), /number of dimensions.*does not match/);
    throwsClearly(() => x().gather(1, long([[5]])), /index 5 is out of bounds for dimension 1 with size 3/);
    throwsClearly(() => x().indexSelect(0, long([7])), /index out of range/);
    throwsClearly(() => F.embedding(long([9]), zeros([3, 2])), /index out of range/);
    throwsClearly(() => F.crossEntropy(zeros([2, 3]), long([0, 5])), /Target 5 is out of bounds/);
    throwsClearly(() => x().topk(5), /k.*out of range/);
    throwsClearly(() => x().size(2), /out of range/);
    throwsClearly(() => x().chunk(0), /greater than 0/);
    throwsClearly(() => x().split([1, 3]), /split_with_sizes expects split_sizes to sum exactly to 2/);
    throwsClearly(() => F.softmax(x(), 2), /Dimension out of range/);
  });

  test('nn ops with bad shapes', () => {
    throwsClearly(() => F.maxPool2d(zeros([1, 1, 2, 2]), 3), /Output size is too small/);
    throwsClearly(() => F.batchNorm(zeros([1, 2]), null, null, { training: true }), /more than one value per channel/);
    throwsClearly(() => F.batchNorm(zeros([4, 3]), zeros([2]), ones([2]), { training: false }), /running_mean should contain 3 elements not 2/);
    throwsClearly(() => F.layerNorm(zeros([2, 3]), [4]), /normalized_shape=\[4\]/);
    throwsClearly(() => F.groupNorm(zeros([2, 3, 2, 2]), 2), /divisible by num_groups/);
    throwsClearly(() => F.interpolate(zeros([1, 2, 2]), { size: 3 }), /4-d input/);
    throwsClearly(() => F.interpolate(zeros([1, 1, 2, 2]), {}), /needs size or scaleFactor/);
    throwsClearly(() => F.pad(zeros([1, 1, 2, 2]), [3, 3, 3, 3], 'reflect'), /Padding size should be less than/);
    throwsClearly(() => F.crossEntropy(zeros([2, 3]), long([0, 1, 2])), /batch_size|Expected input batch_size/);
    throwsClearly(() => F.bceWithLogits(zeros([2, 3]), zeros([3])), /broadcast|size/);
    throwsClearly(() => einsum('ij,jk->ik', zeros([2, 3]), zeros([2, 3])), /einsum\(\): subscript j has size 2/);
  });
});

describe('dtype mismatches', () => {
  test('class-index losses need integer targets', () => {
    throwsClearly(() => F.crossEntropy(zeros([2, 3]), zeros([2])), /expected scalar type Long but found Float/);
    throwsClearly(() => F.nllLoss(zeros([2, 3]), zeros([2])), /expected scalar type Long but found Float/);
    throwsClearly(() => F.crossEntropy(zeros([2, 3]), long([[0, 1, 2], [0, 1, 2]])), /Long|Float|dtype|type/);
  });

  test('index ops need integer indices', () => {
    throwsClearly(() => zeros([2, 3]).indexSelect(0, tensor([0])), /index_select\(\): Expected dtype int32 or int64 for index/);
    throwsClearly(() => zeros([2, 3]).gather(0, tensor([[0]])), /gather\(\): Expected dtype int64 for index/);
    throwsClearly(() => zeros([2, 3]).scatter(0, tensor([[0]]), ones([1, 1])), /Expected dtype int64 for index/);
    throwsClearly(() => F.embedding(tensor([0]), zeros([2, 3])), /'indices' to have one of the following scalar types: Long, Int/);
    throwsClearly(() => F.oneHot(zeros([2])), /one_hot is only applicable to index tensor/);
    throwsClearly(() => zeros([3]).maskedFill(ones([3]), 1), /maskedFill\(\): the mask must be a bool tensor, got Float/);
    throwsClearly(() => zeros([3]).maskedSelect(ones([3])), /expected BoolTensor or ByteTensor for mask/);
  });

  test('mixed dtypes where promotion does not apply', () => {
    throwsClearly(() => arange(4).reshape(2, 2).matmul(ones([2, 2])), /expected scalar type Long but found Float/);
    throwsClearly(() => F.conv2d(zeros([1, 1, 3, 3], { dtype: 'float64' }), zeros([1, 1, 1, 1])), /expected scalar type Double but found Float/);
    throwsClearly(() => zeros([2], { dtype: 'int64' }).add_(0.5), /result type Float can't be cast to the desired output type Long/);
    throwsClearly(() => tensor([true]).sub(tensor([true])), /Subtraction, the `-` operator, with two bool tensors is not supported/);
    throwsClearly(() => arange(3).pow(-1), /Integers to negative integer powers are not allowed/);
    throwsClearly(() => arange(4).mean(), /mean\(\): could not infer output dtype/);
    throwsClearly(() => arange(4).var(), /std and var only support floating point/);
  });

  test('gradients only for floating point tensors', () => {
    throwsClearly(() => zeros([2], { dtype: 'int64', requiresGrad: true }), /Only Tensors of floating point and complex dtype can require gradients/);
    throwsClearly(() => {
      arange(3).requiresGrad = true;
    }, /floating point/);
  });
});

describe('devices', () => {
  test('asking for CUDA on a machine without it gives a clear Error', { skip: cuda.isAvailable() ? 'CUDA is available here' : false }, () => {
    assert.equal(cuda.deviceCount(), 0);
    const msg = /CUDA device requested but this libtorch has no CUDA support or no GPU is visible/;
    throwsClearly(() => zeros([2], { device: 'cuda' }), msg);
    throwsClearly(() => ones([2], { device: 'cuda:1' }), msg);
    throwsClearly(() => randn([2], { device: 'cuda' }), msg);
    throwsClearly(() => arange(3, undefined, 1, { device: 'cuda' }), msg);
    throwsClearly(() => tensor([1, 2], { device: 'cuda' }), msg);
    throwsClearly(() => tensor([1, 2], { device: 'cuda', dtype: 'float16' }), msg);
    throwsClearly(() => tensor(new Float32Array(2), { device: 'cuda' }), msg);
    throwsClearly(() => zeros([2]).to('cuda'), msg);
    throwsClearly(() => zeros([2]).cuda(), msg);
    throwsClearly(() => zeros([2]).to({ device: 'cuda:0', dtype: 'float64' }), msg);
    cuda.synchronize(); // a no-op without CUDA
  });

  test('unknown device names', () => {
    throwsClearly(() => zeros([2], { device: 'tpu' as 'cpu' }), /unknown device 'tpu'; expected 'cpu', 'cuda' or 'cuda:N'/);
    throwsClearly(() => zeros([2]).to({ device: 'gpu' as 'cpu' }), /unknown device 'gpu'/);
    throwsClearly(() => zeros([2]).to('mps' as 'cpu'), /unknown dtype or device 'mps'/);
  });
});

describe('use after dispose', () => {
  const AFTER = /Tensor used after dispose\(\)/;
  // Arguments for each method that needs some (valid for a live 2x2 float tensor).
  const args = (): Record<string, unknown[]> => {
    const o = ones([2, 2]);
    const idx = long([[0, 1], [1, 0]]);
    const mask = tensor([[true, false], [false, true]]);
    return {
      size: [0], to: ['float64'], cuda: [0], requiresGrad_: [true], backward: [ones([2, 2])],
      add: [o], sub: [o], mul: [o], div: [o], pow: [2], rsub: [1], rdiv: [1], rpow: [2], maximum: [o], minimum: [o],
      fmod: [2], remainder: [2], floorDivide: [2], atan2: [o], eq: [o], ne: [o], lt: [o], le: [o], gt: [o], ge: [o],
      logicalAnd: [o], logicalOr: [o], logicalXor: [o], add_: [o], sub_: [o], mul_: [o], div_: [o], pow_: [2],
      fill_: [1], copy_: [o], setData_: [o], clamp_: [0, 1], _unary: ['gelu'], clamp: [0, 1], maskedFill: [mask, 0], lerp: [o, 0.5],
      red: ['sum', undefined, false], sum: [0], mean: [0], prod: [0], logsumexp: [0], max: [0], min: [0],
      maxWithIndices: [0], minWithIndices: [0], argmax: [0], argmin: [0], var: [0], std: [0], norm: [2], all: [0],
      any: [0], cumsum: [0], sort: [0], topk: [1], equal: [o], allclose: [o], reshape: [4], view: [4],
      permute: [1, 0], transpose: [0, 1], flatten: [0], squeeze: [0], unsqueeze: [0], narrow: [0, 0, 1],
      slice: [0, 0, 1], select: [0, 0], indexSelect: [0, long([0])], gather: [1, idx], scatter: [1, idx, o],
      scatterAdd: [1, idx, o], maskedSelect: [mask], expand: [2, 2], expandAs: [o], repeat: [1, 1], flip: [[0]],
      roll: [1, 0], tril: [0], triu: [0], chunk: [2], split: [1], matmul: [o], bmm: [ones([1, 2, 2])],
      bin: [0, o], binInplace: [0, o], un: [0],
    };
  };

  test('every Tensor method and property throws on a disposed tensor', () => {
    tidy(() => {
      const proto = Tensor.prototype as unknown as Record<string, unknown>;
      const table = args();
      const skip = new Set(['constructor', 'dispose', 'isDisposed', 'toString']);
      const names = Object.getOwnPropertyNames(proto).filter((n) => !skip.has(n));
      assert.ok(names.length > 100, `only ${names.length} members found`);
      const d = ones([2, 2]);
      d.dispose();
      assert.equal(d.isDisposed, true);
      let checked = 0;
      for (const name of names) {
        const desc = Object.getOwnPropertyDescriptor(proto, name)!;
        if (desc.get) {
          assert.throws(() => desc.get!.call(d), AFTER, `getter ${name}`);
          checked++;
        }
        if (desc.set) {
          const value = name === 'grad' ? null : true;
          assert.throws(() => desc.set!.call(d, value), AFTER, `setter ${name}`);
          checked++;
        }
        if (typeof desc.value === 'function') {
          assert.throws(() => (desc.value as (...a: unknown[]) => unknown).apply(d, table[name] ?? []), AFTER, `method ${name}()`);
          checked++;
        }
      }
      assert.ok(checked >= names.length);
      // the safe ones
      assert.equal(d.toString(), 'Tensor(disposed)');
      d.dispose();
      assert.equal(d.isDisposed, true);
    });
    stillWorks();
  });

  test('passing a disposed tensor as an argument throws, also for optional arguments', () => {
    const gone = (shape: number[] = [2, 2], dtype: 'float32' | 'int64' | 'bool' = 'float32'): Tensor => {
      const t = zeros(shape, { dtype });
      t.dispose();
      return t;
    };
    const AF = AFTER;
    const x = () => ones([2, 2]);
    // tensor methods
    for (const m of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'lt', 'atan2', 'logicalAnd', 'matmul', 'equal', 'allclose', 'copy_', 'add_', 'mul_', 'expandAs']) {
      throwsClearly(() => (x() as unknown as Record<string, (a: Tensor) => unknown>)[m](gone()), AF);
    }
    throwsClearly(() => x().add(gone(), 2), AF);
    throwsClearly(() => x().sub(gone(), 2), AF);
    throwsClearly(() => x().add_(gone(), 2), AF);
    throwsClearly(() => x().bmm(gone([1, 2, 2])), AF);
    throwsClearly(() => x().maskedFill(gone([2, 2], 'bool'), 1), AF);
    throwsClearly(() => x().maskedSelect(gone([2, 2], 'bool')), AF);
    throwsClearly(() => x().lerp(gone(), 0.5), AF);
    throwsClearly(() => x().indexSelect(0, gone([1], 'int64')), AF);
    throwsClearly(() => x().gather(0, gone([1, 1], 'int64')), AF);
    throwsClearly(() => x().scatter(0, long([[0]]), gone([1, 1])), AF);
    throwsClearly(() => x().scatterAdd(0, gone([1, 1], 'int64'), ones([1, 1])), AF);
    // autograd
    const w = () => ones([2], { requiresGrad: true });
    throwsClearly(() => w().mul(2).backward(gone([2])), AF);
    throwsClearly(() => w().sum().backward(gone([])), AF);
    throwsClearly(() => {
      w().grad = gone([2]);
    }, AF);
    throwsClearly(() => autograd.grad(gone([]), w()), AF);
    throwsClearly(() => autograd.grad(w().sum(), gone([2])), AF);
    throwsClearly(() => {
      const a = w();
      autograd.grad(a.mul(2), a, { gradOutputs: [gone([2])] });
    }, AF);
    // free functions
    throwsClearly(() => cat([x(), gone()]), AF);
    throwsClearly(() => stack([gone(), x()]), AF);
    throwsClearly(() => where(gone([2, 2], 'bool'), x(), 0), AF);
    throwsClearly(() => where(tensor([true, false]), gone([2]), 0), AF);
    throwsClearly(() => where(tensor([true, false]), 0, gone([2])), AF);
    throwsClearly(() => outer(gone([2]), ones([2])), AF);
    throwsClearly(() => einsum('ij->ji', gone()), AF);
    throwsClearly(() => multinomial(gone([2]), 1), AF);
    throwsClearly(() => bernoulli(gone([2])), AF);
    throwsClearly(() => zerosLike(gone()), AF);
    // nn functions, including optional tensors (bias, weights, running statistics)
    const img = () => ones([1, 1, 3, 3]);
    const k = () => ones([1, 1, 1, 1]);
    throwsClearly(() => F.conv2d(gone([1, 1, 3, 3]), k()), AF);
    throwsClearly(() => F.conv2d(img(), gone([1, 1, 1, 1])), AF);
    throwsClearly(() => F.conv2d(img(), k(), gone([1])), AF);
    throwsClearly(() => F.conv1d(ones([1, 1, 3]), ones([1, 1, 1]), gone([1])), AF);
    throwsClearly(() => F.convTranspose2d(img(), k(), gone([1])), AF);
    throwsClearly(() => F.linear(x(), x(), gone([2])), AF);
    const b = () => randn([4, 2]);
    throwsClearly(() => F.batchNorm(b(), gone([2]), ones([2]), { training: true }), AF);
    throwsClearly(() => F.batchNorm(b(), zeros([2]), gone([2]), { training: false }), AF);
    throwsClearly(() => F.batchNorm(b(), null, null, { training: true, weight: gone([2]) }), AF);
    throwsClearly(() => F.batchNorm(b(), null, null, { training: true, bias: gone([2]) }), AF);
    throwsClearly(() => F.layerNorm(b(), [2], gone([2])), AF);
    throwsClearly(() => F.layerNorm(b(), [2], null, gone([2])), AF);
    throwsClearly(() => F.groupNorm(ones([2, 2, 2]), 1, gone([2])), AF);
    throwsClearly(() => F.groupNorm(ones([2, 2, 2]), 1, null, gone([2])), AF);
    const tgt = () => long([0, 1, 0, 1]);
    throwsClearly(() => F.crossEntropy(b(), gone([4], 'int64')), AF);
    throwsClearly(() => F.crossEntropy(b(), tgt(), { weight: gone([2]) }), AF);
    throwsClearly(() => F.nllLoss(b(), tgt(), { weight: gone([2]) }), AF);
    throwsClearly(() => F.bceWithLogits(b(), ones([4, 2]), { weight: gone([2]) }), AF);
    throwsClearly(() => F.bceWithLogits(b(), ones([4, 2]), { posWeight: gone([2]) }), AF);
    throwsClearly(() => F.mseLoss(b(), gone([4, 2])), AF);
    throwsClearly(() => F.embedding(gone([1], 'int64'), x()), AF);
    throwsClearly(() => F.embedding(long([0]), gone()), AF);
    throwsClearly(() => F.relu(gone()), AF);
    throwsClearly(() => F.softmax(gone()), AF);
    throwsClearly(() => F.dropout(gone(), 0.5), AF);
  });

  test('dispose() twice is harmless, and a disposed handle never reaches a newer tensor', () => {
    const a = ones([2]);
    a.dispose();
    a.dispose();
    const b = full([2], 3); // likely reuses a's native slot
    assert.throws(() => a.toArray(), AFTER);
    assert.deepEqual(b.toArray(), [3, 3]);
    a.dispose();
    assert.deepEqual(b.toArray(), [3, 3]);
    b.dispose();
    stillWorks();
  });
});

describe('bad arguments', () => {
  test('negative or non-integer shapes', () => {
    throwsClearly(() => zeros([-1]), /zeros: shape must hold non-negative integers, got \[-1\]/);
    throwsClearly(() => ones([2, -3]), /ones: shape must hold non-negative integers/);
    throwsClearly(() => rand([1.5]), /rand: shape must hold non-negative integers/);
    throwsClearly(() => randn([2, Number.NaN]), /randn: shape must hold non-negative integers/);
    throwsClearly(() => full([Number.POSITIVE_INFINITY], 1), /full: shape must hold non-negative integers/);
    throwsClearly(() => randint(0, 3, [-2]), /randint: shape must hold non-negative integers/);
    throwsClearly(() => tensor([1, 2], { shape: [-1, -2] }), /shape must hold non-negative integers/);
    throwsClearly(() => tensor(new Float32Array(3), { shape: [2, 2] }), /shape \[2, 2\] needs 4 elements, data has 3/);
    throwsClearly(() => tensor([1, 2, 3], { shape: [2, 2] }), /does not fit 3 elements/);
    throwsClearly(() => zeros([2, 3]).reshape(-2, 3), /invalid shape dimension -2/);
    throwsClearly(() => zeros([2, 3]).expand(-2, 3), /expanded size of the tensor \(-2\)/);
    throwsClearly(() => zeros([1e10, 1e10]), /overflow/);
    throwsClearly(() => eye(-1), /n must be greater or equal to 0/);
    throwsClearly(() => randperm(-1), /negative dimension/);
    throwsClearly(() => linspace(0, 1, -1), /number of steps must be non-negative/);
  });

  test('fractional values where integers are needed are rejected, not truncated', () => {
    throwsClearly(() => zeros([2, 3]).select(0, 1.5), /expected an integer, got 1.5/);
    throwsClearly(() => zeros([2, 3]).reshape(1.5, 4), /expected an integer, got 1.5/);
    throwsClearly(() => zeros([2, 3]).sum(0.5), /expected an integer, got 0.5/);
    throwsClearly(() => zeros([2, 3]).narrow(0, 0, Number.NaN), /expected an integer, got nan/);
    throwsClearly(() => randint(0.5, 3, [2]), /expected an integer, got 0.5/);
    throwsClearly(() => zeros([4]).topk(Number.POSITIVE_INFINITY), /expected an integer, got inf/);
  });

  test('unknown dtypes, reductions and modes', () => {
    throwsClearly(() => zeros([2], { dtype: 'float8' as 'float32' }), /unknown dtype 'float8'; expected one of float32, float64/);
    throwsClearly(() => tensor([1], { dtype: 'complex64' as 'float32' }), /unknown dtype 'complex64'/);
    throwsClearly(() => zeros([2]).to({ dtype: 'half' as 'float16' }), /unknown dtype 'half'/);
    throwsClearly(() => zeros([2]).to('float8' as 'float32'), /unknown dtype or device 'float8'/);
    throwsClearly(() => F.mseLoss(zeros([2]), zeros([2]), 'avg' as 'mean'), /reduction must be 'mean', 'sum' or 'none', got 'avg'/);
    throwsClearly(() => F.crossEntropy(zeros([2, 3]), long([0, 1]), { reduction: 'batchmean' as 'mean' }), /reduction must be/);
    throwsClearly(() => F.klDiv(zeros([2]), zeros([2]), 'batchmean' as 'mean'), /reduction must be/);
    throwsClearly(() => F.interpolate(zeros([1, 1, 2, 2]), { size: 3, mode: 'area' as 'nearest' }), /interpolate mode must be 'nearest', 'bilinear' or 'bicubic', got 'area'/);
    throwsClearly(() => F.pad(zeros([1, 1, 2, 2]), [1, 1, 1, 1], 'circular' as 'constant'), /pad mode must be/);
  });

  test('probabilities and other ranges', () => {
    throwsClearly(() => F.dropout(zeros([2]), 1.5), /dropout probability must be in \[0, 1\], got 1.5/);
    throwsClearly(() => F.dropout(zeros([2]), -0.1), /dropout probability must be in \[0, 1\]/);
    throwsClearly(() => F.dropout(zeros([2]), Number.NaN), /dropout probability/);
    throwsClearly(() => F.crossEntropy(zeros([2, 3]), long([0, 1]), { labelSmoothing: 2 }), /label smoothing must be in \[0, 1\]/);
    throwsClearly(() => F.batchNorm(zeros([2, 2]), null, null), /batchNorm in eval mode needs running mean and variance/);
    throwsClearly(() => randint(3, 3, [2]), /randint\(\): high \(3\) must be greater than low \(3\)/);
    throwsClearly(() => arange(0, 5, 0), /arange\(\): step must not be zero/);
    throwsClearly(() => arange(0, Number.NaN), /unsupported range/);
    throwsClearly(() => manualSeed(-1), /manualSeed needs a non-negative integer, got -1/);
    throwsClearly(() => manualSeed(0.5), /manualSeed needs a non-negative integer/);
    throwsClearly(() => setNumThreads(0), /setNumThreads needs n >= 1/);
    throwsClearly(() => multinomial(tensor([-1, 2]), 1), /probability tensor contains either `inf`, `nan` or element < 0/);
    throwsClearly(() => zeros([2]).clamp(), /clamp needs a min or a max/);
    throwsClearly(() => zeros([2, 2]).all([0, 1] as unknown as number), /reduces one dim or all/);
    throwsClearly(() => zeros([2]).item(), /item\(\) needs a tensor with exactly one element, got 2/);
  });

  test('bad data for tensor()', () => {
    throwsClearly(() => tensor([[1, 2], [3]]), /ragged nested array/);
    throwsClearly(() => tensor([[1, 2], 3] as unknown as number[][]), /ragged nested array/);
    throwsClearly(() => tensor(['a'] as unknown as number[]), /expected numbers or booleans, got string/);
    throwsClearly(() => tensor(undefined as unknown as number), /expected numbers or booleans, got undefined/);
    throwsClearly(() => tensor(null as unknown as number), /expected numbers or booleans/);
  });

  test('non-tensor operands', () => {
    const x = () => ones([2]);
    throwsClearly(() => x().add(null as unknown as number), /expected a Tensor, a number or a boolean as operand, got null/);
    throwsClearly(() => x().mul(undefined as unknown as number), /got undefined/);
    throwsClearly(() => x().sub('1' as unknown as number), /got the string '1'/);
    throwsClearly(() => x().add({} as unknown as number, 2), /expected a Tensor, a number or a boolean/);
    throwsClearly(() => x().mul_([1, 2] as unknown as number), /got an array/);
    throwsClearly(() => x().matmul(3 as unknown as Tensor), /expected a Tensor/);
    throwsClearly(() => stack(x() as unknown as Tensor[]), /stack\(\): expected an array of Tensors/);
  });

  test('autograd misuse', () => {
    throwsClearly(() => ones([1]).sum().backward(), /does not require grad and has no grad_fn/);
    throwsClearly(() => ones([2], { requiresGrad: true }).mul(2).backward(), /a gradient must be given for a non-scalar output of shape \[2\]/);
    throwsClearly(() => {
      const w = ones([1], { requiresGrad: true });
      const y = w.exp().sum();
      y.backward();
      y.backward();
    }, /Trying to backward through the graph a second time/);
    throwsClearly(() => {
      const a = ones([1], { requiresGrad: true });
      const b = ones([1], { requiresGrad: true });
      autograd.grad(a.mul(2).sum(), [a, b]);
    }, /appears to not have been used in the graph/);
    throwsClearly(() => ones([1], { requiresGrad: true }).add_(1), /a leaf Variable that requires grad is being used in an in-place operation/);
    throwsClearly(() => {
      const a = ones([2], { requiresGrad: true });
      const b = a.mul(1);
      const c = b.exp().mul(b);
      b.mul_(2);
      c.sum().backward();
    }, /modified by an inplace operation/);
    throwsClearly(() => {
      const a = ones([2], { requiresGrad: true });
      autograd.grad(a.mul(2), a);
    }, /grad can be implicitly created only for scalar outputs/);
  });
});

test('errors leak no native tensors', () => {
  // warm up lazily created state first
  stillWorks();
  const before = memory().liveTensors;
  for (let i = 0; i < 50; i++) {
    tidy(() => {
      assert.throws(() => zeros([2, 3]).matmul(zeros([2, 3])));
      assert.throws(() => F.conv2d(ones([1, 3, 4, 4]), ones([1, 2, 3, 3])));
      assert.throws(() => cat([zeros([1]), zeros([1, 1])]));
      assert.throws(() => zeros([2]).to('cuda'));
    });
  }
  assert.equal(memory().liveTensors, before);
  stillWorks();
});
