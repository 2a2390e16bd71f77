// Tensor creation, data round trips, shape ops, elementwise math, reductions and conversions,
// each against hand-computed values.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type DType,
  arange,
  cat,
  enableGrad,
  eye,
  full,
  isGradEnabled,
  linspace,
  manualSeed,
  memory,
  noGrad,
  ones,
  rand,
  randint,
  randn,
  randperm,
  scalar,
  stack,
  type Tensor,
  tensor,
  tidy,
  where,
  zeros,
  zerosLike,
} from '../../src/engine/index.js';
import { assertClose } from '../helpers.js';

const ALL: DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool'];
const t32 = (d: Parameters<typeof tensor>[0]): Tensor => tensor(d);
const long = (d: Parameters<typeof tensor>[0]): Tensor => tensor(d, { dtype: 'int64' });
const arr = (t: Tensor) => t.toArray();
// reads .grad through a function, so TypeScript does not narrow it after an assignment
const gradOf = (t: Tensor): Tensor | null => t.grad;

describe('creation', () => {
  test('nested arrays for every dtype', () => {
    tidy(() => {
      for (const dtype of ALL) {
        const x = tensor([[1, 2, 0], [3, 4, 5]], { dtype });
        assert.equal(x.dtype, dtype);
        assert.deepEqual(x.shape, [2, 3]);
        assert.equal(x.numel(), 6);
        assert.equal(x.ndim, 2);
        assert.equal(x.device, 'cpu');
        if (dtype === 'bool') assert.deepEqual(x.toArray(), [[true, true, false], [true, true, true]]);
        else assert.deepEqual(x.toArray(), [[1, 2, 0], [3, 4, 5]]);
      }
    });
  });

  test('fractional values per float dtype keep their precision', () => {
    tidy(() => {
      assert.deepEqual(tensor([0.1], { dtype: 'float64' }).toArray(), [0.1]);
      assert.deepEqual(tensor([0.1]).toArray(), [Math.fround(0.1)]);
      // float16 holds 11 significant bits, bfloat16 8
      assert.deepEqual(tensor([1.5, 0.1, 1000.5], { dtype: 'float16' }).toArray(), [1.5, 0.0999755859375, 1000.5]);
      assert.deepEqual(tensor([1.5, 0.1, 257], { dtype: 'bfloat16' }).toArray(), [1.5, 0.10009765625, 256]);
      // integer dtypes truncate towards zero, as torch.tensor(..., dtype=int) does
      assert.deepEqual(tensor([1.7, -1.7], { dtype: 'int64' }).toArray(), [1, -1]);
      assert.deepEqual(tensor([1.7, -1.7], { dtype: 'int32' }).toArray(), [1, -1]);
    });
  });

  test('dtype inference: numbers give float32, booleans give bool', () => {
    tidy(() => {
      assert.equal(tensor([1, 2]).dtype, 'float32');
      assert.equal(tensor([[true, false]]).dtype, 'bool');
      assert.deepEqual(tensor([[true, false]]).toArray(), [[true, false]]);
      const s = tensor(3.5);
      assert.deepEqual(s.shape, []);
      assert.equal(s.item(), 3.5);
      assert.equal(s.toArray(), 3.5);
      const e = tensor([]);
      assert.deepEqual(e.shape, [0]);
      assert.deepEqual(e.toArray(), []);
      assert.deepEqual(tensor([[], []]).shape, [2, 0]);
    });
  });

  test('typed arrays, with and without a shape and a target dtype', () => {
    tidy(() => {
      const cases: [ArrayBufferView, DType][] = [
        [new Float32Array([1, 2, 3, 4]), 'float32'],
        [new Float64Array([1, 2, 3, 4]), 'float64'],
        [new Int32Array([1, 2, 3, 4]), 'int32'],
        [new BigInt64Array([1n, 2n, 3n, 4n]), 'int64'],
        [new Uint8Array([1, 2, 3, 4]), 'uint8'],
      ];
      for (const [data, dtype] of cases) {
        const x = tensor(data as Float32Array, { shape: [2, 2] });
        assert.equal(x.dtype, dtype);
        assert.deepEqual(x.toArray(), [[1, 2], [3, 4]]);
        for (const target of ALL) {
          const y = tensor(data as Float32Array, { dtype: target });
          assert.equal(y.dtype, target);
          assert.deepEqual(y.toArray(), target === 'bool' ? [true, true, true, true] : [1, 2, 3, 4], `${dtype} -> ${target}`);
        }
      }
      // a typed array that views part of a larger buffer
      const big = new Float32Array([9, 1, 2, 3, 9]);
      assert.deepEqual(tensor(big.subarray(1, 4)).toArray(), [1, 2, 3]);
      // zero stays false in bool
      assert.deepEqual(tensor(new Uint8Array([0, 5]), { dtype: 'bool' }).toArray(), [false, true]);
    });
  });

  test('data() returns the typed array of each dtype', () => {
    tidy(() => {
      const expect: Record<string, unknown> = {
        float32: Float32Array, float64: Float64Array, float16: Float32Array, bfloat16: Float32Array,
        int64: BigInt64Array, int32: Int32Array, uint8: Uint8Array, bool: Uint8Array,
      };
      for (const dtype of ALL) {
        const x = tensor([[1, 0], [1, 1]], { dtype });
        const d = x.data();
        assert.ok(d instanceof (expect[dtype] as typeof Float32Array), `${dtype}: ${d.constructor.name}`);
        assert.equal(d.length, 4);
        if (d instanceof BigInt64Array) assert.deepEqual([...d], [1n, 0n, 1n, 1n]);
        else assert.deepEqual([...d], [1, 0, 1, 1]);
        assert.deepEqual(x.dataSync(), [1, 0, 1, 1]);
        // round trip through the typed array
        const back = tensor(d, { dtype, shape: [2, 2] });
        assert.ok(back.equal(x), dtype);
      }
    });
  });

  test('data() of a non-contiguous view is in logical order', () => {
    tidy(() => {
      const x = arange(6).reshape(2, 3).t();
      assert.equal(x.isContiguous(), false);
      assert.deepEqual(x.dataSync(), [0, 3, 1, 4, 2, 5]);
      assert.deepEqual(x.toArray(), [[0, 3], [1, 4], [2, 5]]);
    });
  });

  test('item() for every dtype', () => {
    tidy(() => {
      for (const dtype of ALL) assert.equal(tensor([1], { dtype }).item(), 1, dtype);
      assert.equal(tensor([[-7]], { dtype: 'int64' }).item(), -7);
      assert.equal(scalar(2.25, { dtype: 'float64' }).item(), 2.25);
      assert.equal(scalar(3, { dtype: 'int32' }).dtype, 'int32');
      assert.throws(() => tensor([1, 2]).item(), /exactly one element/);
    });
  });

  test('large int64 values survive the round trip', () => {
    tidy(() => {
      const big = 2 ** 40 + 3;
      const x = tensor(new BigInt64Array([BigInt(big), -5n]));
      assert.deepEqual(x.toArray(), [big, -5]);
      assert.equal(x.select(0, 0).item(), big);
      assert.equal(long([big]).add(1).item(), big + 1);
    });
  });

  test('zeros, ones, full', () => {
    tidy(() => {
      for (const dtype of ALL) {
        const z = zeros([2, 1], { dtype });
        const o = ones(3, { dtype });
        assert.equal(z.dtype, dtype);
        assert.equal(o.dtype, dtype);
        assert.deepEqual(z.dataSync(), [0, 0]);
        assert.deepEqual(o.dataSync(), [1, 1, 1]);
      }
      assert.deepEqual(zeros([2, 0, 3]).shape, [2, 0, 3]);
      assert.deepEqual(zeros([]).shape, []);
      assert.deepEqual(full([2, 2], 7, { dtype: 'int32' }).toArray(), [[7, 7], [7, 7]]);
      assert.deepEqual(full([2], 0.5).toArray(), [0.5, 0.5]);
      assert.equal(full([2], 1).dtype, 'float32');
      assert.deepEqual(full([1], 1, { dtype: 'bool' }).toArray(), [true]);
      assert.deepEqual(zerosLike(long([1, 2])).toArray(), [0, 0]);
      assert.equal(zerosLike(long([1, 2])).dtype, 'int64');
    });
  });

  test('arange and linspace', () => {
    tidy(() => {
      const a = arange(5);
      assert.equal(a.dtype, 'int64');
      assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
      assert.deepEqual(arange(2, 8, 3).toArray(), [2, 5]);
      assert.deepEqual(arange(5, 0, -2).toArray(), [5, 3, 1]);
      const f = arange(0, 1, 0.25);
      assert.equal(f.dtype, 'float32');
      assert.deepEqual(f.toArray(), [0, 0.25, 0.5, 0.75]);
      assert.equal(arange(3, undefined, 1, { dtype: 'float64' }).dtype, 'float64');
      assert.deepEqual(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
      assert.deepEqual(linspace(-1, 1, 3, { dtype: 'float64' }).toArray(), [-1, 0, 1]);
      assert.deepEqual(linspace(2, 2, 1).toArray(), [2]);
    });
  });

  test('eye', () => {
    tidy(() => {
      assert.deepEqual(eye(3).toArray(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
      assert.deepEqual(eye(2, 3, { dtype: 'int64' }).toArray(), [[1, 0, 0], [0, 1, 0]]);
      assert.equal(eye(2, 3, { dtype: 'int64' }).dtype, 'int64');
    });
  });

  test('rand, randn, randint, randperm: shapes, ranges and dtypes', () => {
    tidy(() => {
      const r = rand([1000]);
      assert.equal(r.dtype, 'float32');
      assert.ok(r.min().item() >= 0 && r.max().item() < 1);
      assertClose([r.mean().item()], [0.5], 0.05);
      const n = randn([2000], { dtype: 'float64' });
      assert.equal(n.dtype, 'float64');
      assertClose([n.mean().item(), n.std().item()], [0, 1], 0.1);
      const i = randint(-2, 3, [500]);
      assert.equal(i.dtype, 'int64');
      assert.deepEqual(new Set(i.dataSync()), new Set([-2, -1, 0, 1, 2]));
      assert.equal(randint(0, 5, [3], { dtype: 'int32' }).dtype, 'int32');
      const p = randperm(6);
      assert.deepEqual(p.sort()[0].toArray(), [0, 1, 2, 3, 4, 5]);
    });
  });

  test('manualSeed makes rand, randn, randint and randperm reproducible', () => {
    tidy(() => {
      const draw = () => [rand([5]).dataSync(), randn([2, 3]).dataSync(), randint(0, 100, [4]).dataSync(), randperm(8).dataSync()];
      manualSeed(42);
      const a = draw();
      manualSeed(42);
      const b = draw();
      assert.deepEqual(a, b);
      manualSeed(43);
      const c = draw();
      assert.notDeepEqual(a[0], c[0]);
      assert.notDeepEqual(a[1], c[1]);
      // the generator continues: a second draw after the same seed differs from the first
      manualSeed(42);
      const first = rand([5]).dataSync();
      const second = rand([5]).dataSync();
      assert.deepEqual(first, a[0]);
      assert.notDeepEqual(first, second);
    });
  });

  test('requiresGrad option', () => {
    tidy(() => {
      const x = zeros([2], { requiresGrad: true });
      assert.equal(x.requiresGrad, true);
      assert.equal(x.isLeaf, true);
      assert.equal(tensor([1, 2], { requiresGrad: true }).requiresGrad, true);
      assert.equal(ones([1]).requiresGrad, false);
    });
  });
});

describe('shape ops', () => {
  const m = () => arange(24).reshape(2, 3, 4);

  test('reshape and view', () => {
    tidy(() => {
      const x = arange(6);
      assert.deepEqual(x.reshape(2, 3).toArray(), [[0, 1, 2], [3, 4, 5]]);
      assert.deepEqual(x.reshape([3, -1]).toArray(), [[0, 1], [2, 3], [4, 5]]);
      assert.deepEqual(x.view(3, 2).toArray(), [[0, 1], [2, 3], [4, 5]]);
      assert.deepEqual(x.view([-1, 1, 3]).shape, [2, 1, 3]);
      // view shares storage
      const f = tensor([1, 2, 3, 4]);
      const v = f.view(2, 2);
      f.mul_(10);
      assert.deepEqual(v.toArray(), [[10, 20], [30, 40]]);
      // reshape of a non-contiguous tensor copies
      assert.deepEqual(x.reshape(2, 3).t().reshape(6).toArray(), [0, 3, 1, 4, 2, 5]);
      assert.deepEqual(scalar(5).reshape(1, 1).toArray(), [[5]]);
    });
  });

  test('permute, transpose, t', () => {
    tidy(() => {
      const x = m();
      const p = x.permute(2, 0, 1);
      assert.deepEqual(p.shape, [4, 2, 3]);
      // p[i][j][k] = x[j][k][i] = 12 j + 4 k + i
      assert.deepEqual(p.select(0, 1).toArray(), [[1, 5, 9], [13, 17, 21]]);
      assert.deepEqual(x.permute([1, 0, 2]).shape, [3, 2, 4]);
      assert.deepEqual(x.permute(-1, 0, 1).shape, [4, 2, 3]);
      const t = x.transpose(0, 2);
      assert.deepEqual(t.shape, [4, 3, 2]);
      assert.deepEqual(t.select(0, 3).toArray(), [[3, 15], [7, 19], [11, 23]]);
      assert.deepEqual(t.strides, [1, 4, 12]);
      assert.deepEqual(arange(6).reshape(2, 3).t().toArray(), [[0, 3], [1, 4], [2, 5]]);
    });
  });

  test('flatten, squeeze, unsqueeze', () => {
    tidy(() => {
      const x = m();
      assert.deepEqual(x.flatten().shape, [24]);
      assert.deepEqual(x.flatten(1).shape, [2, 12]);
      assert.deepEqual(x.flatten(0, 1).shape, [6, 4]);
      assert.deepEqual(x.flatten(0, 1).select(0, 5).toArray(), [20, 21, 22, 23]);
      const y = zeros([1, 3, 1, 2]);
      assert.deepEqual(y.squeeze().shape, [3, 2]);
      assert.deepEqual(y.squeeze(0).shape, [3, 1, 2]);
      assert.deepEqual(y.squeeze(2).shape, [1, 3, 2]);
      assert.deepEqual(y.squeeze(1).shape, [1, 3, 1, 2]); // not of size 1: unchanged
      assert.deepEqual(y.squeeze(-2).shape, [1, 3, 2]);
      assert.deepEqual(arange(3).unsqueeze(0).toArray(), [[0, 1, 2]]);
      assert.deepEqual(arange(3).unsqueeze(1).toArray(), [[0], [1], [2]]);
      assert.deepEqual(arange(3).unsqueeze(-1).shape, [3, 1]);
    });
  });

  test('cat and stack', () => {
    tidy(() => {
      const a = t32([[1, 2], [3, 4]]);
      const b = t32([[5, 6]]);
      assert.deepEqual(cat([a, b]).toArray(), [[1, 2], [3, 4], [5, 6]]);
      assert.deepEqual(cat([a, a], 1).toArray(), [[1, 2, 1, 2], [3, 4, 3, 4]]);
      assert.deepEqual(cat([a, b.t().contiguous().reshape(2, 1)], -1).toArray(), [[1, 2, 5], [3, 4, 6]]);
      assert.deepEqual(cat([a]).toArray(), [[1, 2], [3, 4]]);
      assert.deepEqual(stack([a, a.mul(2)]).toArray(), [[[1, 2], [3, 4]], [[2, 4], [6, 8]]]);
      assert.deepEqual(stack([t32([1, 2]), t32([3, 4])], 1).toArray(), [[1, 3], [2, 4]]);
      assert.deepEqual(stack([t32([1, 2]), t32([3, 4])], -1).shape, [2, 2]);
      // mixed dtypes promote
      assert.equal(cat([long([1]), t32([0.5])]).dtype, 'float32');
    });
  });

  test('narrow, slice (negative indices and steps), select', () => {
    tidy(() => {
      const x = arange(10);
      assert.deepEqual(x.narrow(0, 2, 3).toArray(), [2, 3, 4]);
      assert.deepEqual(x.slice(0, 2, 5).toArray(), [2, 3, 4]);
      assert.deepEqual(x.slice(0, -3).toArray(), [7, 8, 9]);
      assert.deepEqual(x.slice(0, null, -2).toArray(), [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(x.slice(0, -4, -1).toArray(), [6, 7, 8]);
      assert.deepEqual(x.slice(0, 1, null, 3).toArray(), [1, 4, 7]);
      assert.deepEqual(x.slice(0, null, null, 4).toArray(), [0, 4, 8]);
      assert.deepEqual(x.slice(0, -5, -1, 2).toArray(), [5, 7]);
      assert.deepEqual(x.slice(0, 8, 100).toArray(), [8, 9]);
      assert.deepEqual(x.slice(0, 5, 2).toArray(), []);
      const y = m();
      assert.deepEqual(y.slice(2, 1, 3).select(0, 1).toArray(), [[13, 14], [17, 18], [21, 22]]);
      assert.deepEqual(y.slice(-1, null, null, 2).shape, [2, 3, 2]);
      assert.deepEqual(y.select(1, 2).toArray(), [[8, 9, 10, 11], [20, 21, 22, 23]]);
      assert.deepEqual(y.select(-1, -1).toArray(), [[3, 7, 11], [15, 19, 23]]);
      assert.deepEqual(y.select(0, 1).select(0, 0).select(0, 0).shape, []);
      // slices are views
      const f = tensor([1, 2, 3, 4]);
      f.slice(0, 1, 3).fill_(0);
      assert.deepEqual(f.toArray(), [1, 0, 0, 4]);
    });
  });

  test('indexSelect and gather', () => {
    tidy(() => {
      const x = t32([[1, 2, 3], [4, 5, 6]]);
      assert.deepEqual(x.indexSelect(1, long([2, 0, 2])).toArray(), [[3, 1, 3], [6, 4, 6]]);
      assert.deepEqual(x.indexSelect(0, long([1])).toArray(), [[4, 5, 6]]);
      assert.deepEqual(x.indexSelect(0, tensor([1, 0], { dtype: 'int32' })).toArray(), [[4, 5, 6], [1, 2, 3]]);
      assert.deepEqual(x.gather(1, long([[0, 0], [2, 1]])).toArray(), [[1, 1], [6, 5]]);
      assert.deepEqual(x.gather(0, long([[1, 0, 1]])).toArray(), [[4, 2, 6]]);
      assert.deepEqual(zeros([2, 3]).scatter(1, long([[2], [0]]), t32([[7], [8]])).toArray(), [[0, 0, 7], [8, 0, 0]]);
      assert.deepEqual(zeros([3]).scatterAdd(0, long([0, 0, 2]), t32([1, 2, 3])).toArray(), [3, 0, 3]);
      assert.deepEqual(x.maskedSelect(x.gt(3)).toArray(), [4, 5, 6]);
      assert.deepEqual(x.gt(2).nonzero().toArray(), [[0, 2], [1, 0], [1, 1], [1, 2]]);
    });
  });

  test('expand, expandAs, repeat, contiguous', () => {
    tidy(() => {
      const x = t32([[1], [2]]);
      const e = x.expand(2, 3);
      assert.deepEqual(e.toArray(), [[1, 1, 1], [2, 2, 2]]);
      assert.deepEqual(e.strides, [1, 0]);
      assert.equal(e.isContiguous(), false);
      assert.deepEqual(x.expand(-1, 2).toArray(), [[1, 1], [2, 2]]);
      assert.deepEqual(x.expand([3, 2, 2]).shape, [3, 2, 2]);
      assert.deepEqual(x.expandAs(zeros([2, 4])).shape, [2, 4]);
      const c = e.contiguous();
      assert.equal(c.isContiguous(), true);
      assert.deepEqual(c.strides, [3, 1]);
      assert.deepEqual(c.toArray(), [[1, 1, 1], [2, 2, 2]]);
      assert.deepEqual(t32([1, 2]).repeat(2, 2).toArray(), [[1, 2, 1, 2], [1, 2, 1, 2]]);
      assert.deepEqual(arange(4).flip([0]).toArray(), [3, 2, 1, 0]);
      assert.deepEqual(arange(4).roll(1, 0).toArray(), [3, 0, 1, 2]);
      assert.deepEqual(ones([3, 3]).tril().toArray(), [[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
      assert.deepEqual(ones([2, 3]).triu(1).toArray(), [[0, 1, 1], [0, 0, 1]]);
    });
  });

  test('chunk and split', () => {
    tidy(() => {
      const x = arange(7);
      assert.deepEqual(x.chunk(3).map(arr), [[0, 1, 2], [3, 4, 5], [6]]);
      assert.deepEqual(x.chunk(2).map(arr), [[0, 1, 2, 3], [4, 5, 6]]);
      assert.deepEqual(x.split(3).map(arr), [[0, 1, 2], [3, 4, 5], [6]]);
      assert.deepEqual(x.split([2, 5]).map(arr), [[0, 1], [2, 3, 4, 5, 6]]);
      const y = arange(6).reshape(2, 3);
      assert.deepEqual(y.chunk(3, 1).map(arr), [[[0], [3]], [[1], [4]], [[2], [5]]]);
      assert.deepEqual(y.split([1, 2], -1).map(arr), [[[0], [3]], [[1, 2], [4, 5]]]);
    });
  });
});

describe('elementwise math', () => {
  test('broadcasting arithmetic', () => {
    tidy(() => {
      const a = t32([[1, 2, 3], [4, 5, 6]]);
      const b = t32([10, 20, 30]);
      const c = t32([[1], [2]]);
      assert.deepEqual(a.add(b).toArray(), [[11, 22, 33], [14, 25, 36]]);
      assert.deepEqual(a.sub(c).toArray(), [[0, 1, 2], [2, 3, 4]]);
      assert.deepEqual(a.mul(c).toArray(), [[1, 2, 3], [8, 10, 12]]);
      assert.deepEqual(b.div(a).toArray(), [[10, 10, 10], [2.5, 4, 5]]);
      assert.deepEqual(c.add(b).shape, [2, 3]);
      assert.deepEqual(a.add(b, 2).toArray(), [[21, 42, 63], [24, 45, 66]]);
      assert.deepEqual(a.sub(c, 3).toArray(), [[-2, -1, 0], [-2, -1, 0]]);
      assert.deepEqual(a.add(1, 3).toArray(), [[4, 5, 6], [7, 8, 9]]);
      assert.deepEqual(a.pow(2).select(0, 1).toArray(), [16, 25, 36]);
      assert.deepEqual(c.pow(b.div(10)).toArray(), [[1, 1, 1], [2, 4, 8]]);
      assert.deepEqual(t32([1, 2]).rsub(5).toArray(), [4, 3]);
      assert.deepEqual(t32([1, 4]).rdiv(2).toArray(), [2, 0.5]);
      assert.deepEqual(t32([1, 3]).rpow(2).toArray(), [2, 8]);
      assert.deepEqual(t32([1, 5]).maximum(t32([3, 2])).toArray(), [3, 5]);
      assert.deepEqual(t32([1, 5]).minimum(2).toArray(), [1, 2]);
      assert.deepEqual(t32([5, -5]).fmod(3).toArray(), [2, -2]);
      assert.deepEqual(t32([5, -5]).remainder(3).toArray(), [2, 1]);
      assert.deepEqual(t32([7, -7]).floorDivide(2).toArray(), [3, -4]);
      assert.deepEqual(long([7, -7]).floorDivide(2).toArray(), [3, -4]);
      assertClose(t32([1, -1]).atan2(t32([1, 1])), [Math.PI / 4, -Math.PI / 4]);
      assert.deepEqual(zeros([2, 1, 3]).add(zeros([4, 1])).shape, [2, 4, 3]);
    });
  });

  test('unary math against Math.*', () => {
    tidy(() => {
      const v = [0.25, 0.5, 0.9];
      const x = tensor(v, { dtype: 'float64' });
      const fns: [keyof Tensor, (a: number) => number][] = [
        ['neg', (a) => -a], ['abs', Math.abs], ['exp', Math.exp], ['log', Math.log], ['log2', Math.log2],
        ['log10', Math.log10], ['log1p', Math.log1p], ['expm1', Math.expm1], ['sqrt', Math.sqrt],
        ['rsqrt', (a) => 1 / Math.sqrt(a)], ['sin', Math.sin], ['cos', Math.cos], ['tan', Math.tan],
        ['asin', Math.asin], ['acos', Math.acos], ['atan', Math.atan], ['sinh', Math.sinh], ['cosh', Math.cosh],
        ['tanh', Math.tanh], ['sigmoid', (a) => 1 / (1 + Math.exp(-a))], ['relu', (a) => Math.max(a, 0)],
        ['reciprocal', (a) => 1 / a], ['square', (a) => a * a],
      ];
      for (const [name, f] of fns) assertClose((x[name] as () => Tensor).call(x), v.map(f), { atol: 1e-12, rtol: 1e-12 }, name);
      const y = tensor([-1.5, -0.5, 0.5, 2.7]);
      assert.deepEqual(y.floor().toArray(), [-2, -1, 0, 2]);
      assert.deepEqual(y.ceil().toArray(), [-1, -0, 1, 3]);
      assert.deepEqual(y.round().toArray(), [-2, -0, 0, 3]); // half to even
      assert.deepEqual(y.trunc().toArray(), [-1, -0, 0, 2]);
      assert.deepEqual(y.sign().toArray(), [-1, -1, 1, 1]);
      assertClose(y.frac(), [-0.5, -0.5, 0.5, 0.7], 1e-6);
      assert.deepEqual(y.abs().toArray(), [1.5, 0.5, 0.5, 2.7].map(Math.fround));
      assert.deepEqual(y.clamp(-1, 1).toArray(), [-1, -0.5, 0.5, 1]);
      assert.deepEqual(y.clamp(0).toArray(), [0, 0, 0.5, Math.fround(2.7)]);
      assert.deepEqual(y.clamp(null, 0).toArray(), [-1.5, -0.5, 0, 0]);
      assertClose(tensor([0, 1]).erf(), [0, 0.8427007929497149], 1e-6);
      const nan = tensor([Number.NaN, Number.POSITIVE_INFINITY, 1]);
      assert.deepEqual(nan.isnan().toArray(), [true, false, false]);
      assert.deepEqual(nan.isinf().toArray(), [false, true, false]);
      assert.deepEqual(nan.isfinite().toArray(), [false, false, true]);
    });
  });

  test('comparisons and logical ops broadcast and give bool', () => {
    tidy(() => {
      const a = t32([[1, 2, 3], [4, 5, 6]]);
      const b = t32([2, 2, 7]);
      const cmp: [string, Tensor, unknown][] = [
        ['eq', a.eq(b), [[false, true, false], [false, false, false]]],
        ['ne', a.ne(b), [[true, false, true], [true, true, true]]],
        ['lt', a.lt(b), [[true, false, true], [false, false, true]]],
        ['le', a.le(b), [[true, true, true], [false, false, true]]],
        ['gt', a.gt(b), [[false, false, false], [true, true, false]]],
        ['ge', a.ge(b), [[false, true, false], [true, true, false]]],
        ['gt scalar', a.gt(3), [[false, false, false], [true, true, true]]],
        ['eq scalar', a.eq(5), [[false, false, false], [false, true, false]]],
        ['lt fractional scalar', a.lt(2.5), [[true, true, false], [false, false, false]]],
      ];
      for (const [name, t, want] of cmp) {
        assert.equal(t.dtype, 'bool', name);
        assert.deepEqual(t.toArray(), want, name);
      }
      const p = tensor([true, true, false, false]);
      const q = tensor([true, false, true, false]);
      assert.deepEqual(p.logicalAnd(q).toArray(), [true, false, false, false]);
      assert.deepEqual(p.logicalOr(q).toArray(), [true, true, true, false]);
      assert.deepEqual(p.logicalXor(q).toArray(), [false, true, true, false]);
      assert.deepEqual(p.logicalNot().toArray(), [false, false, true, true]);
      assert.deepEqual(where(p, t32([1, 2, 3, 4]), 0).toArray(), [1, 2, 0, 0]);
      assert.deepEqual(where(q, 1, t32([5, 6, 7, 8])).toArray(), [1, 6, 1, 8]);
      assert.deepEqual(t32([1, 2, 3]).maskedFill(tensor([false, true, true]), -1).toArray(), [1, -1, -1]);
      assert.deepEqual(t32([1, 2, 3]).maskedFill(tensor([1, 0, 1], { dtype: 'uint8' }), 0).toArray(), [0, 2, 0]);
      assert.equal(a.equal(a.clone()), true);
      assert.equal(a.equal(b), false);
      assert.equal(a.allclose(a.add(1e-7)), true);
      assert.equal(a.allclose(a.add(1e-3)), false);
    });
  });

  test('integer scalars keep integer dtypes; fractional scalars promote', () => {
    tidy(() => {
      for (const dtype of ['int64', 'int32', 'uint8'] as DType[]) {
        const x = tensor([1, 2], { dtype });
        assert.equal(x.add(2).dtype, dtype);
        assert.deepEqual(x.add(2).toArray(), [3, 4]);
        assert.equal(x.mul(3).dtype, dtype);
        assert.equal(x.sub(1).dtype, dtype);
        assert.equal(x.add(0.5).dtype, 'float32');
        assert.deepEqual(x.add(0.5).toArray(), [1.5, 2.5]);
        assert.equal(x.mul(0.5).dtype, 'float32');
        // true division always gives a float
        assert.equal(x.div(2).dtype, 'float32');
        assert.deepEqual(x.div(2).toArray(), [0.5, 1]);
      }
      // a float tensor stays at its precision with a scalar
      assert.equal(tensor([1], { dtype: 'float16' }).mul(2.5).dtype, 'float16');
      assert.equal(tensor([1], { dtype: 'float64' }).add(1).dtype, 'float64');
      // tensor-tensor promotion
      assert.equal(long([1]).add(tensor([1], { dtype: 'int32' })).dtype, 'int64');
      assert.equal(long([1]).add(tensor([1])).dtype, 'float32');
      assert.equal(tensor([1]).add(tensor([1], { dtype: 'float64' })).dtype, 'float64');
      assert.equal(tensor([true]).add(1).dtype, 'int64');
      // in place keeps the dtype
      const i = long([1, 2]);
      i.add_(3);
      assert.deepEqual(i.toArray(), [4, 5]);
      assert.equal(i.dtype, 'int64');
    });
  });

  test('in-place ops', () => {
    tidy(() => {
      const x = t32([1, 2, 3]);
      assert.equal(x.add_(1), x);
      x.mul_(t32([2, 2, 2])).sub_(1).div_(2);
      assert.deepEqual(x.toArray(), [1.5, 2.5, 3.5]);
      x.add_(t32([1, 1, 1]), 2);
      assert.deepEqual(x.toArray(), [3.5, 4.5, 5.5]);
      x.pow_(2);
      assert.deepEqual(x.toArray(), [12.25, 20.25, 30.25]);
      x.fill_(-1).relu_();
      assert.deepEqual(x.toArray(), [0, 0, 0]);
      x.copy_(long([4, 5, 6]));
      assert.deepEqual(x.toArray(), [4, 5, 6]);
      x.clamp_(4.5, 5.5);
      assert.deepEqual(x.toArray(), [4.5, 5, 5.5]);
      x.zero_();
      assert.deepEqual(x.toArray(), [0, 0, 0]);
      x.uniform_(2, 3);
      assert.ok(x.min().item() >= 2 && x.max().item() < 3);
      x.normal_(5, 0);
      assert.deepEqual(x.toArray(), [5, 5, 5]);
      // broadcasting into the left operand
      const y = zeros([2, 2]);
      y.add_(t32([1, 2]));
      assert.deepEqual(y.toArray(), [[1, 2], [1, 2]]);
    });
  });
});

describe('reductions', () => {
  const x = () => t32([[1, 5, 3], [4, 2, 6]]);

  test('sum and mean over all, dims and keepdim', () => {
    tidy(() => {
      assert.equal(x().sum().item(), 21);
      assert.deepEqual(x().sum().shape, []);
      assert.deepEqual(x().sum(0).toArray(), [5, 7, 9]);
      assert.deepEqual(x().sum(1).toArray(), [9, 12]);
      assert.deepEqual(x().sum(-1, true).toArray(), [[9], [12]]);
      assert.deepEqual(x().sum([0, 1]).toArray(), 21);
      assert.deepEqual(x().sum([0, 1], true).shape, [1, 1]);
      assert.equal(x().mean().item(), 3.5);
      assert.deepEqual(x().mean(0).toArray(), [2.5, 3.5, 4.5]);
      assert.deepEqual(x().mean(1, true).toArray(), [[3], [4]]);
      // integer sums stay integral (int64), as in torch
      assert.equal(long([1, 2]).sum().dtype, 'int64');
      assert.equal(tensor([true, true, false]).sum().item(), 2);
      assert.equal(x().prod().item(), 720);
      assert.deepEqual(x().prod(1).toArray(), [15, 48]);
      assertClose(x().logsumexp(1), [Math.log(Math.exp(1) + Math.exp(5) + Math.exp(3)), Math.log(Math.exp(4) + Math.exp(2) + Math.exp(6))], 1e-5);
      assertClose([x().logsumexp().item()], [Math.log([1, 5, 3, 4, 2, 6].reduce((s, v) => s + Math.exp(v), 0))], 1e-5);
      assert.deepEqual(x().cumsum(1).toArray(), [[1, 6, 9], [4, 6, 12]]);
      assert.deepEqual(x().all().item(), 1);
      assert.deepEqual(tensor([[true, false], [true, true]]).all(1).toArray(), [false, true]);
      assert.deepEqual(tensor([[true, false], [false, false]]).any(1).toArray(), [true, false]);
    });
  });

  test('max, min, argmax, argmin', () => {
    tidy(() => {
      assert.equal(x().max().item(), 6);
      assert.equal(x().min().item(), 1);
      assert.deepEqual(x().max(0).toArray(), [4, 5, 6]);
      assert.deepEqual(x().max(1, true).toArray(), [[5], [6]]);
      assert.deepEqual(x().min(1).toArray(), [1, 2]);
      assert.deepEqual(x().max([0, 1]).toArray(), 6);
      const [v, i] = x().maxWithIndices(1);
      assert.deepEqual(v.toArray(), [5, 6]);
      assert.deepEqual(i.toArray(), [1, 2]);
      assert.equal(i.dtype, 'int64');
      const [mv, mi] = x().minWithIndices(0, true);
      assert.deepEqual(mv.toArray(), [[1, 2, 3]]);
      assert.deepEqual(mi.toArray(), [[0, 1, 0]]);
      assert.equal(x().argmax().item(), 5);
      assert.equal(x().argmin().item(), 0);
      assert.deepEqual(x().argmax(0).toArray(), [1, 0, 1]);
      assert.deepEqual(x().argmax(1, true).toArray(), [[1], [2]]);
      assert.deepEqual(x().argmin(-1).toArray(), [0, 1]);
      assert.equal(x().argmax(0).dtype, 'int64');
      const [sv, si] = t32([3, 1, 2]).sort();
      assert.deepEqual([sv.toArray(), si.toArray()], [[1, 2, 3], [1, 2, 0]]);
      const [dv] = t32([3, 1, 2]).sort(0, true);
      assert.deepEqual(dv.toArray(), [3, 2, 1]);
      const [tv, ti] = x().topk(2, 1);
      assert.deepEqual([tv.toArray(), ti.toArray()], [[[5, 3], [6, 4]], [[1, 2], [2, 0]]]);
      const [bv] = x().topk(1, 0, false);
      assert.deepEqual(bv.toArray(), [[1, 2, 3]]);
    });
  });

  test('var and std with correction, dims and keepdim', () => {
    tidy(() => {
      const y = tensor([[1, 2, 3, 4], [2, 4, 6, 8]], { dtype: 'float64' });
      // row 0: mean 2.5, squared deviations 2.25 + .25 + .25 + 2.25 = 5; row 1: 20
      assertClose(y.var(1), [5 / 3, 20 / 3], 1e-12);
      assertClose(y.var(1, { correction: 0 }), [5 / 4, 20 / 4], 1e-12);
      assertClose(y.var(1, { correction: 2 }), [5 / 2, 20 / 2], 1e-12);
      assertClose(y.std(1), [Math.sqrt(5 / 3), Math.sqrt(20 / 3)], 1e-12);
      assertClose(y.std(1, { correction: 0, keepdim: true }), [[Math.sqrt(5 / 4)], [Math.sqrt(5)]], 1e-12);
      assert.deepEqual(y.std(1, { keepdim: true }).shape, [2, 1]);
      assertClose(y.var(0), [0.5, 2, 4.5, 8], 1e-12);
      // all elements: mean 3.75, sum of squared deviations 37.5
      assertClose([y.var().item()], [37.5 / 7], 1e-12);
      assertClose([y.var(undefined, { correction: 0 }).item()], [37.5 / 8], 1e-12);
      assertClose([y.std().item()], [Math.sqrt(37.5 / 7)], 1e-12);
      assertClose(y.var([0, 1]), [37.5 / 7], 1e-12);
      assert.deepEqual(y.var([0, 1], { keepdim: true }).shape, [1, 1]);
      assertClose([tensor([3, 4]).norm().item()], [5], 1e-6);
      assertClose(tensor([[3, -4], [1, 1]]).norm(1, 1), [7, 2], 1e-6);
    });
  });
});

describe('linear algebra', () => {
  test('matmul for 1-d, 2-d and batched operands', () => {
    tidy(() => {
      const a = t32([[1, 2], [3, 4], [5, 6]]);
      const b = t32([[1, 0, 2], [0, 1, 3]]);
      assert.deepEqual(a.matmul(b).toArray(), [[1, 2, 8], [3, 4, 18], [5, 6, 28]]);
      assert.deepEqual(b.matmul(a).toArray(), [[11, 14], [18, 22]]);
      assert.deepEqual(a.matmul(t32([1, -1])).toArray(), [-1, -1, -1]);
      assert.equal(t32([1, 2, 3]).matmul(t32([4, 5, 6])).item(), 32);
      assert.deepEqual(t32([1, 1, 1]).matmul(a).toArray(), [9, 12]);
      const batch = stack([a, a.mul(2)]);
      assert.deepEqual(batch.matmul(b).shape, [2, 3, 3]);
      assert.deepEqual(batch.matmul(b).select(0, 1).toArray(), [[2, 4, 16], [6, 8, 36], [10, 12, 56]]);
      assert.deepEqual(batch.bmm(stack([b, b])).select(0, 0).toArray(), [[1, 2, 8], [3, 4, 18], [5, 6, 28]]);
      assert.deepEqual(eye(3).matmul(a).toArray(), a.toArray());
      assert.deepEqual(long([[1, 2]]).matmul(long([[3], [4]])).toArray(), [[11]]);
    });
  });
});

describe('autograd basics and conversions', () => {
  test('noGrad stops recording and restores the previous mode', () => {
    tidy(() => {
      const w = tensor([1, 2], { requiresGrad: true });
      assert.equal(isGradEnabled(), true);
      const y = noGrad(() => {
        assert.equal(isGradEnabled(), false);
        const inner = enableGrad(() => w.mul(2));
        assert.equal(inner.requiresGrad, true);
        assert.equal(isGradEnabled(), false);
        return w.mul(2);
      });
      assert.equal(isGradEnabled(), true);
      assert.equal(y.requiresGrad, false);
      assert.deepEqual(y.toArray(), [2, 4]);
      assert.throws(() => noGrad(() => { throw new Error('boom'); }), /boom/);
      assert.equal(isGradEnabled(), true);
      // in-place updates of leaves are allowed under noGrad
      noGrad(() => w.sub_(1));
      assert.deepEqual(w.toArray(), [0, 1]);
      assert.equal(w.requiresGrad, true);
    });
  });

  test('backward accumulates into .grad; detach cuts the graph and shares data', () => {
    tidy(() => {
      const w = tensor([1, 2, 3], { requiresGrad: true });
      w.mul(w).sum().backward();
      assert.deepEqual(w.grad?.toArray(), [2, 4, 6]);
      w.mul(3).sum().backward();
      assert.deepEqual(w.grad?.toArray(), [5, 7, 9]);
      w.grad = null;
      assert.equal(gradOf(w), null);
      const d = w.detach();
      assert.equal(d.requiresGrad, false);
      assert.equal(d.isLeaf, true);
      d.add_(1);
      assert.deepEqual(w.toArray(), [2, 3, 4]);
      const y = w.mul(2);
      assert.equal(y.isLeaf, false);
      y.retainGrad();
      y.sum().backward();
      assert.deepEqual(y.grad?.toArray(), [1, 1, 1]);
      assert.deepEqual(gradOf(w)?.toArray(), [2, 2, 2]);
      const z = w.mul(2);
      z.backward(tensor([1, 0, 2]));
      assert.deepEqual(gradOf(w)?.toArray(), [4, 2, 6]);
      // a detached branch contributes nothing
      w.grad = null;
      w.mul(w.detach()).sum().backward();
      assert.deepEqual(gradOf(w)?.toArray(), [2, 3, 4]);
    });
  });

  test('to(dtype) converts and keeps values; clone is independent', () => {
    tidy(() => {
      const x = tensor([1.5, -2.5, 3]);
      assert.equal(x.to('float64').dtype, 'float64');
      assert.deepEqual(x.to('float64').toArray(), [1.5, -2.5, 3]);
      assert.deepEqual(x.to({ dtype: 'int64' }).toArray(), [1, -2, 3]);
      assert.deepEqual(x.to('int32').toArray(), [1, -2, 3]);
      assert.deepEqual(x.to('bool').toArray(), [true, true, true]);
      assert.deepEqual(x.to('float16').toArray(), [1.5, -2.5, 3]);
      assert.deepEqual(x.to('bfloat16').toArray(), [1.5, -2.5, 3]);
      assert.deepEqual(tensor([255, 256, 1]).to('uint8').toArray(), [255, 0, 1]);
      assert.equal(x.double().dtype, 'float64');
      assert.equal(x.long().dtype, 'int64');
      assert.equal(long([1]).float().dtype, 'float32');
      assert.equal(x.to('cpu').device, 'cpu');
      assert.equal(x.cpu().dtype, 'float32');
      // conversion is differentiable
      const w = tensor([1, 2], { requiresGrad: true });
      w.to('float64').mul(3).sum().backward();
      assert.deepEqual(w.grad?.toArray(), [3, 3]);
      assert.equal(w.grad?.dtype, 'float32');
      // to() with copy gives independent memory
      const c = x.to({ dtype: 'float32', copy: true });
      c.fill_(0);
      assert.deepEqual(x.toArray(), [1.5, -2.5, 3]);
      const k = x.clone();
      k.fill_(1);
      assert.deepEqual(x.toArray(), [1.5, -2.5, 3]);
    });
  });

  test('size(), strides and toString', () => {
    tidy(() => {
      const x = zeros([2, 3, 4]);
      assert.deepEqual(x.size(), [2, 3, 4]);
      assert.equal(x.size(1), 3);
      assert.equal(x.size(-1), 4);
      assert.throws(() => x.size(3), /out of range/);
      assert.deepEqual(x.strides, [12, 4, 1]);
      const s = tensor([1, 2]).toString();
      assert.match(s, /shape=\[2\], dtype=float32, device=cpu/);
    });
  });
});

test('views and multi-output ops leave nothing behind in tidy', () => {
  const before = memory().liveTensors;
  tidy(() => {
    const x = arange(12).reshape(3, 4);
    x.chunk(2, 1);
    x.split([1, 2], 0);
    x.t().contiguous().view(12);
    x.float().maxWithIndices(1);
    x.float().sort();
  });
  assert.equal(memory().liveTensors, before);
  const z = zeros([1]);
  z.dispose();
  assert.equal(z.isDisposed, true);
  assert.equal(memory().liveTensors, before);
});
