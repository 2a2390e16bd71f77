// Analytic gradients (backward) against central finite differences, in float64, for every
// differentiable op of the engine's API, plus second-order gradients (createGraph).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  F,
  autograd,
  cat,
  einsum,
  manualSeed,
  memory,
  outer,
  stack,
  type Tensor,
  tensor,
  tidy,
  where,
} from '../../src/engine/index.js';
import { awayFromZero, gradcheck, randT } from '../helpers.js';

const f64 = (data: Parameters<typeof tensor>[0]): Tensor => tensor(data, { dtype: 'float64' });
const long = (data: Parameters<typeof tensor>[0]): Tensor => tensor(data, { dtype: 'int64' });
const bool = (data: Parameters<typeof tensor>[0]): Tensor => tensor(data, { dtype: 'bool' });

/** One gradcheck test whose inputs are made (and freed) inside the test. */
function check(name: string, fn: (...xs: Tensor[]) => Tensor, makeInputs: () => Tensor[], opts = {}): void {
  test(name, () => {
    tidy(() => {
      gradcheck(fn, makeInputs(), opts);
    });
  });
}

describe('unary math', () => {
  const any = () => [randT([2, 3], 11, -2, 2)];
  const pos = () => [randT([2, 3], 12, 0.3, 2)];
  const unit = () => [randT([2, 3], 13, -0.9, 0.9)];
  check('neg', (x) => x.neg(), any);
  check('abs (away from 0)', (x) => x.abs(), () => [awayFromZero([2, 3], 1)]);
  check('exp', (x) => x.exp(), any);
  check('log', (x) => x.log(), pos);
  check('log2', (x) => x.log2(), pos);
  check('log10', (x) => x.log10(), pos);
  check('log1p', (x) => x.log1p(), pos);
  check('expm1', (x) => x.expm1(), any);
  check('sqrt', (x) => x.sqrt(), pos);
  check('rsqrt', (x) => x.rsqrt(), pos);
  check('sin', (x) => x.sin(), any);
  check('cos', (x) => x.cos(), any);
  check('tan', (x) => x.tan(), unit);
  check('asin', (x) => x.asin(), unit);
  check('acos', (x) => x.acos(), unit);
  check('atan', (x) => x.atan(), any);
  check('sinh', (x) => x.sinh(), any);
  check('cosh', (x) => x.cosh(), any);
  check('tanh', (x) => x.tanh(), any);
  check('sigmoid', (x) => x.sigmoid(), any);
  check('reciprocal', (x) => x.reciprocal(), () => [awayFromZero([2, 3], 2, 0.5, 2)]);
  check('square', (x) => x.square(), any);
  check('erf', (x) => x.erf(), any);
  check('frac (away from integers)', (x) => x.frac(), () => [f64([0.3, 1.6, -0.4, -2.25])]);
  // Piecewise-constant ops have zero gradient away from their jumps.
  check('floor, ceil, round, trunc, sign (zero gradients)', (x) => x.floor().add(x.ceil()).add(x.round()).add(x.trunc()).add(x.sign()).add(x), () => [
    f64([0.3, 1.6, -0.4, -2.25]),
  ]);
  check('clamp (inside and outside the range)', (x) => x.clamp(-0.5, 0.5), () => [f64([-1, -0.2, 0.1, 0.9, 0.45, -0.7])]);
  check('clamp min only', (x) => x.clamp(0.1), () => [f64([-1, -0.2, 0.3, 0.9])]);
  check('maskedFill', (x) => x.maskedFill(bool([true, false, false, true]), 2), () => [f64([1, 2, 3, 4])]);
});

describe('activations', () => {
  const a = () => [awayFromZero([3, 4], 21, 0.1, 3)];
  check('relu', F.relu, a);
  check('relu6 (both kinks avoided)', F.relu6, () => [f64([-1, 0.5, 3, 5.5, 6.5, 8])]);
  check('leakyRelu', (x) => F.leakyRelu(x, 0.1), a);
  check('elu', (x) => F.elu(x, 1.3), a);
  check('selu', F.selu, a);
  check('gelu', (x) => F.gelu(x), a);
  check('gelu (tanh approximation)', (x) => F.gelu(x, 'tanh'), a);
  check('silu', F.silu, a);
  check('hardswish (away from +-3)', F.hardswish, () => [f64([-4, -2.5, -1, 0.5, 2, 3.5])]);
  check('hardsigmoid (away from +-3)', F.hardsigmoid, () => [f64([-4, -2.5, -1, 0.5, 2, 3.5])]);
  check('hardtanh', (x) => F.hardtanh(x, -0.5, 1), () => [f64([-2, -0.3, 0.2, 0.8, 1.5])]);
  check('sigmoid', F.sigmoid, a);
  check('tanh', F.tanh, a);
  check('softplus', (x) => F.softplus(x), a);
  check('softplus (beta 2)', (x) => F.softplus(x, 2, 20), a);
  check('mish', F.mish, a);
  check('logSigmoid', F.logSigmoid, a);
  check('tanhshrink', (x) => x._unary('tanhshrink'), a);
  test('every activation in F.activations', () => {
    for (const [name, act] of Object.entries(F.activations)) {
      tidy(() => {
        // away from the kinks of relu (0), relu6 (0, 6) and the hard* family (+-3)
        gradcheck(act, [f64([-4, -2.5, -1.2, -0.4, 0.3, 1.1, 2.2, 4.1])]);
      });
      assert.ok(name);
    }
  });
  check('softmax', (x) => F.softmax(x, 1), () => [randT([2, 4], 22, -2, 2)]);
  check('softmax dim 0', (x) => F.softmax(x, 0), () => [randT([3, 2], 23, -2, 2)]);
  check('logSoftmax', (x) => F.logSoftmax(x, -1), () => [randT([2, 4], 24, -2, 2)]);
  test('dropout (same mask each evaluation via manualSeed)', () => {
    tidy(() => {
      gradcheck(
        (x) => {
          manualSeed(7);
          return F.dropout(x, 0.4, true);
        },
        [randT([4, 5], 25)],
      );
    });
  });
  check('dropout in eval mode is identity', (x) => F.dropout(x, 0.5, false), () => [randT([3], 26)]);
});

describe('binary ops with broadcasting', () => {
  const ab = () => [randT([2, 3], 31), randT([3], 32)];
  check('add', (a, b) => a.add(b), ab);
  check('add with alpha', (a, b) => a.add(b, 2.5), ab);
  check('add scalar', (a) => a.add(1.5), () => [randT([2, 2], 33)]);
  check('sub', (a, b) => a.sub(b), ab);
  check('sub with alpha', (a, b) => a.sub(b, 0.5), ab);
  check('rsub', (a) => a.rsub(3), () => [randT([4], 34)]);
  check('mul', (a, b) => a.mul(b), () => [randT([2, 1, 3], 35), randT([4, 1], 36)]);
  check('mul scalar', (a) => a.mul(-2.5), () => [randT([4], 37)]);
  check('div', (a, b) => a.div(b), () => [randT([2, 3], 38), awayFromZero([2, 1], 39, 0.5, 2)]);
  check('rdiv', (a) => a.rdiv(2), () => [awayFromZero([4], 40, 0.5, 2)]);
  check('pow tensor^tensor', (a, b) => a.pow(b), () => [randT([2, 3], 41, 0.5, 2), randT([3], 42, -1.5, 2)]);
  check('pow tensor^scalar', (a) => a.pow(3), () => [randT([5], 43)]);
  check('pow tensor^fractional', (a) => a.pow(0.5), () => [randT([5], 44, 0.2, 2)]);
  check('rpow', (a) => a.rpow(2), () => [randT([5], 45)]);
  check('maximum', (a, b) => a.maximum(b), () => [f64([1, -2, 3, 0.5]), f64([0.2, 0.1, 4, -1])]);
  check('minimum', (a, b) => a.minimum(b), () => [f64([[1, -2], [3, 0.5]]), f64([0.2, 0.1])]);
  check('atan2', (a, b) => a.atan2(b), () => [randT([2, 3], 46), awayFromZero([2, 3], 47)]);
  check('fmod (away from jumps)', (a) => a.fmod(1.5), () => [f64([0.2, 2.1, -0.4, -1.9])]);
  check('remainder (away from jumps)', (a, b) => a.remainder(b), () => [f64([0.2, 2.1, -0.4, -1.9]), f64([1.5, 1.5, 1.5, 1.5])]);
  check('where', (a, b) => where(bool([[true, false, true], [false, false, true]]), a, b), ab);
  check('where with a scalar branch', (a) => where(bool([true, false, true]), a, 2), () => [randT([3], 48)]);
  check('lerp', (a, b) => a.lerp(b, 0.3), () => [randT([2, 3], 49), randT([2, 3], 50)]);
  check('chain through comparisons as masks', (a) => a.mul(a.gt(0)), () => [awayFromZero([6], 51)]);
  check('floorDivide (zero gradient away from jumps)', (a) => a.floorDivide(2).add(a), () => [f64([0.5, 2.5, -1.2])]);
});

describe('in-place ops on non-leaf tensors', () => {
  check('add_, mul_, sub_, div_, pow_ (tensor and scalar operands)', (a, b) => {
    const y = a.mul(1);
    y.add_(b, 2);
    y.mul_(b);
    y.sub_(0.5);
    y.div_(b.add(3));
    y.pow_(2);
    y.add_(1.5);
    return y;
  }, () => [randT([2, 3], 52), randT([3], 53, 0.5, 1.5)]);
  check('relu_ and clamp_ (away from kinks)', (a) => {
    const y = a.mul(2);
    y.relu_();
    // relu_ saved its output for backward, so clamp_ works on a copy (modifying y would be an error)
    const z = y.mul(1);
    z.clamp_(null, 2);
    return z;
  }, () => [f64([-1, -0.3, 0.2, 0.6, 1.4, 2])]);
  check('copy_ into a fresh tensor', (a) => {
    const z = tensor(new Float64Array(4), { shape: [2, 2] });
    z.copy_(a.mul(3));
    return z.mul(a);
  }, () => [randT([2, 2], 54)]);
  check('writing through a view (slice then fill_)', (a) => {
    const y = a.mul(1);
    y.slice(0, 1, 3).mul_(5);
    y.select(0, 0).fill_(2);
    return y;
  }, () => [randT([4, 2], 55)]);
});

describe('reductions', () => {
  const x = () => [randT([2, 3, 4], 61)];
  check('sum all', (t) => t.sum(), x);
  check('sum dim', (t) => t.sum(1), x);
  check('sum dims keepdim', (t) => t.sum([0, 2], true), x);
  check('mean all', (t) => t.mean(), x);
  check('mean dim keepdim', (t) => t.mean(-1, true), x);
  check('prod', (t) => t.prod(), () => [awayFromZero([5], 62, 0.5, 1.5)]);
  check('prod dim', (t) => t.prod(1), () => [awayFromZero([2, 3], 63, 0.5, 1.5)]);
  check('logsumexp', (t) => t.logsumexp(1), x);
  check('logsumexp all', (t) => t.logsumexp(), x);
  // distinct values, so max/min have a unique arg
  check('max all', (t) => t.max(), x);
  check('max dim', (t) => t.max(1), x);
  check('min dim keepdim', (t) => t.min(2, true), x);
  check('min all', (t) => t.min(), x);
  check('maxWithIndices values', (t) => t.maxWithIndices(1)[0], x);
  check('minWithIndices values', (t) => t.minWithIndices(0, true)[0], x);
  check('var (unbiased)', (t) => t.var(), x);
  check('var dim, correction 0', (t) => t.var(1, { correction: 0 }), x);
  check('std dims keepdim', (t) => t.std([1, 2], { keepdim: true }), x);
  check('std all', (t) => t.std(), x);
  check('norm 2', (t) => t.norm(), x);
  check('norm 1 (away from 0)', (t) => t.norm(1, 1), () => [awayFromZero([2, 3], 64)]);
  check('norm 3 dim', (t) => t.norm(3, [0], true), () => [awayFromZero([2, 3], 65)]);
  check('cumsum', (t) => t.cumsum(1), x);
  check('sort values', (t) => t.sort(-1, true)[0], x);
  check('topk values', (t) => t.topk(2, 1)[0], x);
});

describe('shape ops', () => {
  const x = () => [randT([2, 3, 4], 71)];
  check('reshape', (t) => t.reshape(4, 6), x);
  check('reshape with -1', (t) => t.reshape([-1, 2]), x);
  check('view', (t) => t.view(6, 4), x);
  check('permute', (t) => t.permute(2, 0, 1), x);
  check('transpose', (t) => t.transpose(0, 2), x);
  check('t', (t) => t.t(), () => [randT([2, 3], 72)]);
  check('flatten', (t) => t.flatten(1), x);
  check('squeeze', (t) => t.squeeze(1), () => [randT([2, 1, 3], 73)]);
  check('squeeze all', (t) => t.squeeze(), () => [randT([1, 3, 1], 74)]);
  check('unsqueeze', (t) => t.unsqueeze(-1), x);
  check('cat', (a, b) => cat([a, b, a], 1), () => [randT([2, 3], 75), randT([2, 1], 76)]);
  check('stack', (a, b) => stack([a, b], 1), () => [randT([2, 3], 77), randT([2, 3], 78)]);
  check('narrow', (t) => t.narrow(2, 1, 2), x);
  check('slice with step', (t) => t.slice(2, 0, null, 2), x);
  check('slice negative', (t) => t.slice(1, -2), x);
  check('select', (t) => t.select(1, -1), x);
  check('indexSelect (repeated indices accumulate)', (t) => t.indexSelect(1, long([2, 0, 2])), x);
  check('gather', (t) => t.gather(1, long([[0, 2, 2], [1, 1, 0]])), () => [randT([2, 3], 79)]);
  check('scatter (src)', (t, s) => t.scatter(1, long([[0], [2]]), s), () => [randT([2, 3], 80), randT([2, 1], 81)]);
  check('scatterAdd', (t, s) => t.scatterAdd(1, long([[0, 0], [2, 1]]), s), () => [randT([2, 3], 82), randT([2, 2], 83)]);
  check('maskedSelect', (t) => t.maskedSelect(bool([[true, false, true], [false, true, true]])), () => [randT([2, 3], 84)]);
  check('expand', (t) => t.expand(4, 2, 3), () => [randT([2, 1], 85)]);
  check('expand with -1', (t) => t.expand(-1, 3), () => [randT([2, 1], 86)]);
  check('expandAs', (t, o) => t.expandAs(o), () => [randT([1, 3], 87), randT([2, 3], 88)]);
  check('repeat', (t) => t.repeat(2, 3), () => [randT([2, 2], 89)]);
  check('flip', (t) => t.flip([0, 2]), x);
  check('roll', (t) => t.roll(1, 2), x);
  check('tril', (t) => t.tril(), () => [randT([3, 3], 90)]);
  check('triu offset', (t) => t.triu(1), () => [randT([3, 4], 91)]);
  check('chunk', (t) => { const [a, b] = t.chunk(2, 2); return a.mul(b.add(1)); }, x);
  check('split sizes', (t) => { const [a, b] = t.split([1, 3], 2); return a.mul(b.sum(2, true)); }, x);
  check('contiguous of a transpose', (t) => t.t().contiguous(), () => [randT([2, 3], 92)]);
  check('clone', (t) => t.clone().mul(2), x);
  check('alias', (t) => t.alias().mul(2), x);
  check('einsum', (a, b) => einsum('ij,jk->ik', a, b), () => [randT([2, 3], 93), randT([3, 2], 94)]);
  check('outer', (a, b) => outer(a, b), () => [randT([3], 95), randT([2], 96)]);
});

describe('linear algebra', () => {
  check('matmul 2d', (a, b) => a.matmul(b), () => [randT([2, 3], 101), randT([3, 4], 102)]);
  check('matmul vector', (a, b) => a.matmul(b), () => [randT([2, 3], 103), randT([3], 104)]);
  check('matmul batched with broadcast', (a, b) => a.matmul(b), () => [randT([2, 2, 3], 105), randT([3, 2], 106)]);
  check('bmm', (a, b) => a.bmm(b), () => [randT([2, 2, 3], 107), randT([2, 3, 2], 108)]);
  check('linear', (x, w, b) => F.linear(x, w, b), () => [randT([3, 4], 109), randT([2, 4], 110), randT([2], 111)]);
  check('linear without bias', (x, w) => F.linear(x, w), () => [randT([2, 4], 112), randT([3, 4], 113)]);
});

describe('convolution', () => {
  check('conv2d', (x, w, b) => F.conv2d(x, w, b), () => [randT([1, 2, 4, 4], 121), randT([3, 2, 3, 3], 122), randT([3], 123)]);
  check('conv2d stride 2, padding 1', (x, w) => F.conv2d(x, w, null, { stride: 2, padding: 1 }), () => [
    randT([2, 2, 5, 5], 124),
    randT([2, 2, 3, 3], 125),
  ]);
  check('conv2d dilation 2, asymmetric padding', (x, w, b) => F.conv2d(x, w, b, { dilation: 2, padding: [2, 1] }), () => [
    randT([1, 1, 5, 5], 126),
    randT([2, 1, 3, 3], 127),
    randT([2], 128),
  ]);
  check('conv2d groups 2', (x, w, b) => F.conv2d(x, w, b, { groups: 2, padding: 1 }), () => [
    randT([1, 4, 4, 4], 129),
    randT([4, 2, 3, 3], 130),
    randT([4], 131),
  ]);
  check('conv2d depthwise (groups = channels)', (x, w) => F.conv2d(x, w, null, { groups: 3, padding: 1 }), () => [
    randT([1, 3, 4, 4], 132),
    randT([3, 1, 3, 3], 133),
  ]);
  check('conv1d', (x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 1 }), () => [randT([2, 2, 6], 134), randT([3, 2, 3], 135), randT([3], 136)]);
  check('convTranspose2d', (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), () => [
    randT([1, 2, 3, 3], 137),
    randT([2, 3, 3, 3], 138),
    randT([3], 139),
  ]);
});

describe('normalisation', () => {
  check('batchNorm (training, affine)', (x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), () => [
    randT([3, 2, 2, 2], 141),
    randT([2], 142, 0.5, 1.5),
    randT([2], 143),
  ]);
  check('batchNorm (training, 2-d input)', (x) => F.batchNorm(x, null, null, { training: true }), () => [randT([4, 3], 144)]);
  test('batchNorm (training) updating running stats', () => {
    tidy(() => {
      gradcheck(
        (x) => {
          const rm = tensor(new Float64Array(2), { shape: [2] });
          const rv = tensor(new Float64Array([1, 1]), { shape: [2] });
          return F.batchNorm(x, rm, rv, { training: true, momentum: 0.1 });
        },
        [randT([3, 2, 2], 145)],
      );
    });
  });
  check('batchNorm (eval)', (x, w, b) => F.batchNorm(x, f64([0.1, -0.2]), f64([0.5, 2]), { weight: w, bias: b, training: false }), () => [
    randT([2, 2, 2], 146),
    randT([2], 147),
    randT([2], 148),
  ]);
  check('layerNorm', (x, w, b) => F.layerNorm(x, [3, 2], w, b), () => [randT([2, 3, 2], 149), randT([3, 2], 150), randT([3, 2], 151)]);
  check('layerNorm without affine', (x) => F.layerNorm(x, [4]), () => [randT([3, 4], 152)]);
  check('groupNorm', (x, w, b) => F.groupNorm(x, 2, w, b), () => [randT([2, 4, 2, 2], 153), randT([4], 154), randT([4], 155)]);
});

describe('pooling and resizing', () => {
  // distinct values, so max pooling has a unique winner per window
  const img = () => [randT([1, 2, 4, 4], 161)];
  check('maxPool2d', (x) => F.maxPool2d(x, 2), img);
  check('maxPool2d stride 1, padding 1', (x) => F.maxPool2d(x, 3, { stride: 1, padding: 1 }), img);
  check('maxPool2d ceilMode', (x) => F.maxPool2d(x, 2, { stride: 2, ceilMode: true }), () => [randT([1, 1, 5, 5], 162)]);
  check('avgPool2d', (x) => F.avgPool2d(x, 2), img);
  check('avgPool2d padding, countIncludePad false', (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), img);
  check('adaptiveAvgPool2d', (x) => F.adaptiveAvgPool2d(x, [3, 2]), () => [randT([1, 2, 5, 4], 163)]);
  check('adaptiveAvgPool2d to 1', (x) => F.adaptiveAvgPool2d(x, 1), img);
  check('adaptiveMaxPool2d', (x) => F.adaptiveMaxPool2d(x, 2), img);
  check('interpolate bilinear', (x) => F.interpolate(x, { size: [5, 3], mode: 'bilinear' }), () => [randT([1, 2, 3, 2], 164)]);
  check('interpolate bilinear alignCorners', (x) => F.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: true }), () => [
    randT([1, 1, 2, 3], 165),
  ]);
  check('interpolate nearest', (x) => F.interpolate(x, { scaleFactor: 2 }), () => [randT([1, 1, 2, 2], 166)]);
  check('interpolate bicubic', (x) => F.interpolate(x, { size: 4, mode: 'bicubic' }), () => [randT([1, 1, 3, 3], 167)]);
  check('pad constant', (x) => F.pad(x, [1, 2, 0, 1], 'constant', 0.5), () => [randT([1, 1, 2, 3], 168)]);
  check('pad reflect', (x) => F.pad(x, [1, 1, 1, 1], 'reflect'), () => [randT([1, 1, 3, 3], 169)]);
  check('pad replicate', (x) => F.pad(x, [2, 0, 1, 1], 'replicate'), () => [randT([1, 2, 2, 2], 170)]);
  check('embedding', (w) => F.embedding(long([[0, 2], [2, 3]]), w), () => [randT([4, 3], 171)]);
});

describe('losses', () => {
  const logits = () => [randT([4, 3], 181, -2, 2)];
  const target = () => long([0, 2, 1, 2]);
  check('crossEntropy', (x) => F.crossEntropy(x, target()), logits);
  check('crossEntropy sum', (x) => F.crossEntropy(x, target(), { reduction: 'sum' }), logits);
  check('crossEntropy none', (x) => F.crossEntropy(x, target(), { reduction: 'none' }), logits);
  check('crossEntropy with label smoothing', (x) => F.crossEntropy(x, target(), { labelSmoothing: 0.1 }), logits);
  check('crossEntropy with class weights', (x) => F.crossEntropy(x, target(), { weight: f64([0.2, 1, 3]) }), logits);
  check('crossEntropy with weights and label smoothing', (x) => F.crossEntropy(x, target(), { weight: f64([0.2, 1, 3]), labelSmoothing: 0.2 }), logits);
  check('crossEntropy ignoreIndex', (x) => F.crossEntropy(x, long([0, -100, 1, 2])), logits);
  check('crossEntropy with probability targets', (x) => F.crossEntropy(x, f64([[0.2, 0.3, 0.5], [1, 0, 0], [0.1, 0.1, 0.8], [0, 0.5, 0.5]])), logits);
  check('crossEntropy on [N, C, H, W]', (x) => F.crossEntropy(x, long([[[0, 1], [2, 1]]])), () => [randT([1, 3, 2, 2], 182)]);
  check('nllLoss', (x) => F.nllLoss(F.logSoftmax(x, 1), target()), logits);
  check('nllLoss weighted sum', (x) => F.nllLoss(x, target(), { weight: f64([1, 2, 0.5]), reduction: 'sum' }), logits);
  check('mseLoss', (x, y) => F.mseLoss(x, y), () => [randT([3, 2], 183), randT([3, 2], 184)]);
  check('mseLoss sum', (x, y) => F.mseLoss(x, y, 'sum'), () => [randT([3, 2], 185), randT([3, 2], 186)]);
  check('l1Loss (away from 0)', (x) => F.l1Loss(x, tensor(new Float64Array(4), { shape: [4] })), () => [awayFromZero([4], 187)]);
  check('smoothL1Loss', (x, y) => F.smoothL1Loss(x, y, 'mean', 0.5), () => [f64([0.1, 2, -1, 0.3]), f64([0, 0, 0, 0.2])]);
  check('bceWithLogits', (x, y) => F.bceWithLogits(x, y), () => [randT([3, 2], 188, -3, 3), randT([3, 2], 189, 0, 1)]);
  check('bceWithLogits with weight and posWeight', (x) => F.bceWithLogits(x, f64([[1, 0], [0, 1], [1, 1]]), { weight: f64([0.5, 2]), posWeight: f64([3, 0.5]) }), () => [
    randT([3, 2], 190, -3, 3),
  ]);
  check('klDiv', (x, y) => F.klDiv(F.logSoftmax(x, 1), y, 'sum'), () => [randT([2, 3], 191), randT([2, 3], 192, 0.1, 1)]);
  check('klDiv logTarget', (x, y) => F.klDiv(F.logSoftmax(x, 1), F.logSoftmax(y, 1), 'mean', true), () => [randT([2, 3], 193), randT([2, 3], 194)]);
});

describe('second order', () => {
  test('Hessian of a cubic matches the closed form', () => {
    tidy(() => {
      // f(x) = sum(x^3)  ->  df/dx = 3x^2, d2f/dx2 = diag(6x)
      const x = f64([0.5, -1, 2]).requiresGrad_();
      const [g] = autograd.grad(x.pow(3).sum(), x, { createGraph: true });
      assert.ok(g?.requiresGrad);
      assert.deepEqual(g?.toArray(), [0.75, 3, 12]);
      const [h] = autograd.grad(g!.sum(), x);
      assert.deepEqual(h?.toArray(), [3, -6, 12]);
    });
  });

  test('Hessian-vector product against finite differences of the gradient', () => {
    tidy(() => {
      const v = randT([4], 201);
      const a = randT([4, 4], 202);
      // f(x) = sum(tanh(A x)^2) + sum(x^4); F(x) = <grad f(x), v>; dF/dx = H v
      const hv = (x: Tensor): Tensor => {
        const f = a.matmul(x).tanh().square().sum().add(x.pow(4).sum());
        const [g] = autograd.grad(f, x, { createGraph: true });
        return g!.mul(v).sum();
      };
      gradcheck(hv, [randT([4], 203)]);
    });
  });

  test('gradient of gradient norm for a tiny conv + tanh + linear net (all parameters)', () => {
    tidy(() => {
      const x = randT([2, 1, 4, 4], 211);
      const y = long([1, 0]);
      // F(w1, b1, w2, b2) = || d loss / d params ||^2, the kind of term second-order DARTS needs
      const f = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor => {
        const h = F.conv2d(x, w1, b1, { padding: 1, stride: 2 }).tanh().flatten(1);
        const loss = F.crossEntropy(F.linear(h, w2, b2), y);
        const gs = autograd.grad(loss, [w1, b1, w2, b2], { createGraph: true });
        return gs.map((g) => g!.square().sum()).reduce((s, t) => s.add(t));
      };
      gradcheck(f, [randT([2, 1, 3, 3], 212), randT([2], 213), randT([2, 8], 214), randT([2], 215)], { rtol: 1e-4 });
    });
  });

  test('second-order through softmax, batchNorm and pooling (DARTS-style mixed op)', () => {
    tidy(() => {
      const x = randT([2, 2, 4, 4], 221);
      const w = randT([2, 2, 3, 3], 222);
      // alpha: architecture weights; loss depends on them through softmax-weighted ops
      const f = (alpha: Tensor, wt: Tensor): Tensor => {
        const p = F.softmax(alpha, 0);
        const conv = F.batchNorm(F.conv2d(x, wt, null, { padding: 1 }), null, null, { training: true });
        const pool = F.avgPool2d(x, 3, { stride: 1, padding: 1 });
        const mixed = conv.mul(p.select(0, 0)).add(pool.mul(p.select(0, 1))).add(F.maxPool2d(x, 3, { stride: 1, padding: 1 }).mul(p.select(0, 2)));
        const loss = mixed.square().mean();
        const [gw] = autograd.grad(loss, wt, { createGraph: true });
        // a finite-difference-free surrogate of the DARTS hypergradient term: <grad_w L, grad_w L>
        return gw!.mul(w).sum();
      };
      gradcheck(f, [randT([3], 223), randT([2, 2, 3, 3], 224)], { rtol: 1e-4 });
    });
  });

  test('backward with createGraph then a second backward', () => {
    tidy(() => {
      const x = f64([1, 2]).requiresGrad_();
      const y = x.pow(3).sum();
      y.backward(null, { createGraph: true });
      const g = x.grad!;
      assert.deepEqual(g.toArray(), [3, 12]);
      assert.ok(g.requiresGrad);
      const [h] = autograd.grad(g.sum(), x);
      assert.deepEqual(h?.toArray(), [6, 12]);
      // the gradient's graph refers back to x (libtorch warns about the cycle): break it
      x.grad = null;
    });
  });
});

test('gradchecks leave no tensors behind', () => {
  const before = memory().liveTensors;
  tidy(() => {
    gradcheck((a, b) => F.conv2d(a, b).tanh().sum(), [randT([1, 1, 3, 3], 231), randT([1, 1, 2, 2], 232)]);
  });
  assert.equal(memory().liveTensors, before);
});

test('the checker itself catches a wrong gradient', () => {
  tidy(() => {
    // x * detach(x): backward sees d/dx = x, finite differences see 2x
    assert.throws(() => gradcheck((x) => x.mul(x.detach()), [awayFromZero([3], 241)]), /gradient mismatch/);
    // and an input the output ignores gets a zero gradient on both sides
    gradcheck((x, y) => x.mul(2).add(y.mul(0)), [randT([2], 242), randT([2], 243)]);
  });
});
