/**
 * Tensors: a thin, typed face over libtorch tensors held by the native addon.
 *
 * Memory: every tensor owns native memory until {@link Tensor.dispose} is called, the
 * {@link tidy} scope that created it ends, or (as a safety net) it is garbage collected.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { type DType, type Device, DTYPES, deviceCode, deviceName, dtypeCode, isFloating } from './dtype.js';
import { N } from './native.js';

/** How a tensor's elements are laid out in memory: row-major, or (4-D) channels innermost. */
export type MemoryFormat = 'contiguous' | 'channels_last';
/** Nested arrays of numbers or booleans, e.g. `[[1, 2], [3, 4]]`. */
export type NestedArray = number | boolean | readonly NestedArray[];
export type TypedArrayLike =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array;

/** Options for creating a tensor. */
export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

function code(map: Map<string, number>, name: string): number {
  const c = map.get(name);
  if (c === undefined) throw new Error(`native op '${name}' is missing: rebuild the addon (npm run build:native)`);
  return c;
}
// The native op tables, read from the addon on first use (importing the engine does not load it).
// `U` and `B` start as proxies that fill the tables and rebind themselves to plain objects.
let UNARY: Map<string, number> | undefined;
let BINARY: Map<string, number> | undefined;
function tables(): { un: Map<string, number>; bin: Map<string, number> } {
  if (!UNARY || !BINARY) {
    const un = new Map<string, number>((N.unaryNames() as string[]).map((n, i) => [n, i]));
    const bin = new Map<string, number>((N.binaryNames() as string[]).map((n, i) => [n, i]));
    UNARY = un;
    BINARY = bin;
    U = Object.fromEntries([...un.keys()].map((k) => [k, code(un, k)]));
    B = Object.fromEntries([...bin.keys()].map((k) => [k, code(bin, k)]));
  }
  return { un: UNARY, bin: BINARY };
}
const lazyTable = (which: 'U' | 'B'): Record<string, number> =>
  new Proxy({} as Record<string, number>, {
    get(_t, key) {
      tables();
      return (which === 'U' ? U : B)[key as string];
    },
  });
let U: Record<string, number> = lazyTable('U');
let B: Record<string, number> = lazyTable('B');

// ---------------------------------------------------------------------------
// lifetime: scopes, finalizers
// ---------------------------------------------------------------------------

const finalizer = new FinalizationRegistry<number>((id) => {
  // Ids carry a generation: a tensor disposed earlier leaves a stale id, which the native side ignores.
  N.dispose(id);
});

interface Scope {
  tensors: Tensor[];
  /** The scope this one was opened in (its result goes there), or null at top level. */
  parent: Scope | null;
  open: boolean;
}

// The current scope follows the async context, so an async tidy owns exactly the tensors made by
// its own continuations: tensors made by other code while it awaits (or by a concurrent async
// tidy) are not adopted, and so not disposed, by it. Sync tidy only pays for one `run` call.
const currentScope = new AsyncLocalStorage<Scope | null>();

function liveScope(s: Scope | null | undefined): Scope | null {
  let cur = s ?? null;
  while (cur && !cur.open) cur = cur.parent;
  return cur;
}

function adoptInto(t: Tensor, s: Scope | null | undefined): void {
  const target = liveScope(s);
  if (target) target.tensors.push(t);
  else finalizer.register(t, t._id);
}

function adopt(t: Tensor): void {
  adoptInto(t, currentScope.getStore());
}

/** @internal Wraps a handle returned by the binding (null stays null). */
export function wrapId(id: number): Tensor;
export function wrapId(id: number | null): Tensor | null;
export function wrapId(id: number | null): Tensor | null {
  return id === null ? null : new Tensor(id);
}
/** @internal */
export function wrapIds(ids: (number | null)[]): Tensor[] {
  return ids.map((id) => {
    if (id === null) throw new Error('internal: unexpected undefined tensor');
    return new Tensor(id);
  });
}

function collect(value: unknown, out: Set<Tensor>, seen: Set<unknown>): void {
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) for (const v of value) collect(v, out, seen);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, seen);
}

function endScope(scope: Scope, result: unknown): void {
  const keep = new Set<Tensor>();
  collect(result, keep, new Set());
  scope.open = false;
  for (const t of scope.tensors) {
    if (t._id < 0) continue;
    // Survivors move to the enclosing scope (or, when that has ended too, to the one above it, and
    // at top level to the finalizer).
    if (keep.has(t) || t._kept) adoptInto(t, scope.parent);
    else t.dispose();
  }
  scope.tensors = [];
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those it returns
 * (found in the returned value, arrays, Maps and plain objects) and those passed to {@link keep}.
 * Returned tensors move to the enclosing scope. Works with async functions too: the scope then
 * ends when the promise settles, and owns only the tensors made by `fn`'s own continuations
 * (async scopes may run concurrently, and code running while one awaits is unaffected).
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { tensors: [], parent: liveScope(currentScope.getStore()), open: true };
  let result: T;
  try {
    result = currentScope.run(scope, fn);
  } catch (e) {
    endScope(scope, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => {
        endScope(scope, v);
        return v;
      },
      (e) => {
        endScope(scope, undefined);
        throw e;
      },
    ) as T;
  }
  endScope(scope, result);
  return result;
}

/** Marks a tensor to survive the {@link tidy} scopes it was created in. Returns it. */
export function keep<T extends Tensor>(t: T): T {
  t._kept = true;
  return t;
}

/** Disposes tensors found in a value (a tensor, arrays, Maps or plain objects of tensors). */
export function dispose(value: unknown): void {
  const found = new Set<Tensor>();
  collect(value, found, new Set());
  for (const t of found) t.dispose();
}

/** Native memory held by tensors: live handles and their bytes. */
export function memory(): { liveTensors: number; liveBytes: number } {
  const m = N.memoryInfo();
  return { liveTensors: m.liveTensors, liveBytes: m.liveBytes };
}

// ---------------------------------------------------------------------------
// grad mode, seeds, threads, devices
// ---------------------------------------------------------------------------

/** Runs `fn` with gradient recording off (like `torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  const prev = N.setGradEnabled(false);
  try {
    return fn();
  } finally {
    N.setGradEnabled(prev);
  }
}
/** Runs `fn` with gradient recording on, even inside {@link noGrad}. */
export function enableGrad<T>(fn: () => T): T {
  const prev = N.setGradEnabled(true);
  try {
    return fn();
  } finally {
    N.setGradEnabled(prev);
  }
}
export function isGradEnabled(): boolean {
  return N.isGradEnabled();
}

/** Where and in what precision {@link autocast} runs. */
export interface AutocastOptions {
  /** The device type whose ops are cast (default 'cpu'). */
  device?: 'cpu' | 'cuda';
  /** The lower precision: 'bfloat16' (default; the CPU's only one) or, on CUDA, 'float16'. */
  dtype?: 'bfloat16' | 'float16';
  /** False runs `fn` with autocast off for that device, even inside another region (default true). */
  enabled?: boolean;
}

/**
 * Runs `fn` with automatic mixed precision (like `torch.autocast`): matrix products, linear layers
 * and convolutions run in `dtype`, precision-sensitive ops (losses, softmax, normalisation
 * statistics) stay in float32, and the weights stay float32 (gradients flow back to them in
 * float32). Outputs of cast ops are `dtype` tensors. `fn` must be synchronous; regions nest.
 * On a CPU with bfloat16 instructions (AVX-512 BF16, AMX) this trains about 1.5x faster; elsewhere
 * it can be slower than float32.
 */
export function autocast<T>(fn: () => T, o: AutocastOptions = {}): T {
  const device = o.device ?? 'cpu';
  const dtype = o.dtype ?? 'bfloat16';
  if (device !== 'cpu' && device !== 'cuda') throw new Error(`autocast: device must be 'cpu' or 'cuda', got '${String(device)}'`);
  if (dtype !== 'bfloat16' && dtype !== 'float16') throw new Error(`autocast: dtype must be 'bfloat16' or 'float16', got '${String(dtype)}'`);
  if (device === 'cpu' && dtype !== 'bfloat16') throw new Error('autocast on the CPU supports bfloat16 only');
  N.autocastEnter(device, dtypeCode(dtype), o.enabled ?? true);
  let result: T;
  try {
    result = fn();
  } finally {
    N.autocastExit();
  }
  if (result instanceof Promise) throw new Error('autocast: fn must be synchronous (the region ended before its promise settled)');
  return result;
}

let bf16Cpu: boolean | undefined;
/**
 * Whether this CPU has bfloat16 instructions (x86 AVX-512 BF16 or AMX; Linux's `/proc/cpuinfo`),
 * where `autocast` in bfloat16 trains faster than float32. Elsewhere oneDNN emulates bfloat16,
 * which can be slower than float32.
 */
export function cpuHasBfloat16(): boolean {
  if (bf16Cpu === undefined) {
    let flags = '';
    try {
      flags = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      // not Linux: assume no
    }
    bf16Cpu = /\b(avx512_bf16|amx_bf16)\b/.test(flags);
  }
  return bf16Cpu;
}

/** Whether ops on `device` are being autocast now, and to what. */
export function autocastState(device: 'cpu' | 'cuda' = 'cpu'): { enabled: boolean; dtype: DType } {
  const s = N.autocastState() as { cpu: boolean; cpuDtype: number; cuda: boolean; cudaDtype: number };
  return device === 'cpu' ? { enabled: s.cpu, dtype: DTYPES[s.cpuDtype] as DType } : { enabled: s.cuda, dtype: DTYPES[s.cudaDtype] as DType };
}
/** Seeds libtorch's random generators (like `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`manualSeed needs a non-negative integer, got ${seed}`);
  N.manualSeed(seed);
}
/** Sets the number of intra-op threads (like `torch.set_num_threads`). */
export function setNumThreads(n: number): void {
  N.setNumThreads(n);
}
export function getNumThreads(): number {
  return N.getNumThreads();
}
/** Information about the libtorch build. */
export function version(): { torch: string; parallel: string } {
  return N.version();
}
export const cuda = {
  /** Whether a CUDA device is usable (a CUDA libtorch and a visible GPU). */
  isAvailable(): boolean {
    return N.cudaDeviceCount() > 0;
  },
  deviceCount(): number {
    return N.cudaDeviceCount();
  },
  /** Waits until all queued GPU work has finished. */
  synchronize(): void {
    N.cudaSynchronize();
  },
};

// ---------------------------------------------------------------------------
// Tensor
// ---------------------------------------------------------------------------

type Operand = Tensor | number | boolean;

function shapeArg(shape: readonly number[] | number, fn: string): number[] {
  const s = typeof shape === 'number' ? [shape] : [...shape];
  for (const d of s) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${fn}: shape must hold non-negative integers, got [${s.join(', ')}]`);
  }
  return s;
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string '${v}'`;
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : `${typeof v} ${String(v)}`;
}
/** Elementwise ops take a Tensor, a number or a boolean; anything else gets a clear message. */
function checkOperand(v: unknown): void {
  if (v instanceof Tensor || typeof v === 'number' || typeof v === 'boolean') return;
  throw new Error(`expected a Tensor, a number or a boolean as operand, got ${describeValue(v)}`);
}
function tensorIds(ts: readonly Tensor[], fn: string): number[] {
  if (!Array.isArray(ts)) throw new Error(`${fn}(): expected an array of Tensors, got ${describeValue(ts)}`);
  return ts.map((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`${fn}(): element ${i} is not a Tensor (got ${describeValue(t)})`);
    return t._id;
  });
}

/** A multi-dimensional array on a device, with autograd. Mirrors `torch.Tensor`. */
export class Tensor {
  /** @internal native handle; negative once disposed */
  _id: number;
  /** @internal */
  _kept = false;

  /** @internal Use the factory functions ({@link tensor}, {@link zeros}, ...) instead. */
  constructor(id: number) {
    this._id = id;
    adopt(this);
  }

  // ---- lifetime ----------------------------------------------------------
  /** Frees the native memory now. Safe to call twice; using the tensor afterwards throws. */
  dispose(): void {
    if (this._id >= 0) {
      N.dispose(this._id);
      this._id = -1;
    }
  }
  /** Whether {@link dispose} has been called. */
  get isDisposed(): boolean {
    return this._id < 0;
  }

  // ---- inspection --------------------------------------------------------
  get shape(): number[] {
    return N.shape(this._id);
  }
  /** Same as {@link shape}, PyTorch spelling. */
  size(dim?: number): number[] | number {
    const s = this.shape;
    if (dim === undefined) return s;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new Error(`size(): dimension ${dim} out of range for a ${s.length}-d tensor`);
    return s[d];
  }
  get strides(): number[] {
    return N.strides(this._id);
  }
  get ndim(): number {
    return N.dim(this._id);
  }
  get dtype(): DType {
    return DTYPES[N.dtype(this._id)];
  }
  get device(): Device {
    return deviceName(N.device(this._id));
  }
  numel(): number {
    return N.numel(this._id);
  }
  /**
   * The layout libtorch's kernels compute this tensor in, read from its strides: `'channels_last'`
   * for a 4-D tensor with the channels innermost, else `'contiguous'`.
   */
  get memoryFormat(): MemoryFormat {
    return N.memoryFormat(this._id);
  }
  /** Whether the data is laid out densely in `format`'s order (default: row-major). */
  isContiguous(format: MemoryFormat = 'contiguous'): boolean {
    return N.isContiguous(this._id, format);
  }
  /** The single value of a one-element tensor, as a number. */
  item(): number {
    return N.item(this._id);
  }
  /**
   * A copy of the data as a typed array of the tensor's dtype (float16 and bfloat16 come back as
   * Float32Array, bool as Uint8Array, int64 as BigInt64Array).
   */
  data(): TypedArrayLike {
    const dt = this.dtype;
    if (dt === 'float16' || dt === 'bfloat16') {
      const f = this.to({ dtype: 'float32' });
      try {
        return f.data();
      } finally {
        f.dispose();
      }
    }
    const buf: ArrayBuffer = N.toBuffer(this._id);
    switch (dt) {
      case 'float32':
        return new Float32Array(buf);
      case 'float64':
        return new Float64Array(buf);
      case 'int64':
        return new BigInt64Array(buf);
      case 'int32':
        return new Int32Array(buf);
      case 'int16':
        return new Int16Array(buf);
      case 'int8':
        return new Int8Array(buf);
      default:
        return new Uint8Array(buf);
    }
  }
  /** The data as plain numbers, flat. */
  dataSync(): number[] {
    const d = this.data();
    return d instanceof BigInt64Array ? Array.from(d, Number) : Array.from(d as ArrayLike<number>);
  }
  /** The data as nested arrays of numbers (booleans for bool tensors), like `tensor.tolist()`. */
  toArray(): NestedArray {
    const flat = this.dataSync();
    const shape = this.shape;
    const isBool = this.dtype === 'bool';
    let pos = 0;
    const build = (d: number): NestedArray => {
      if (d === shape.length) {
        const v = flat[pos++];
        return isBool ? v !== 0 : v;
      }
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[d]; i++) out.push(build(d + 1));
      return out;
    };
    return build(0);
  }
  toString(): string {
    if (this._id < 0) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})\n${N.format(this._id)}`;
  }

  // ---- conversion --------------------------------------------------------
  /** Converts dtype and/or device; returns a new tensor (which may share memory when nothing changes, unless `copy`). */
  to(opts: { dtype?: DType; device?: Device; copy?: boolean } | DType | Device): Tensor {
    if (typeof opts === 'string' && !DTYPES.includes(opts as DType) && !/^(cpu|cuda(:\d+)?)$/.test(opts))
      throw new Error(`to(): unknown dtype or device '${opts}'; expected a dtype (${DTYPES.join(', ')}) or 'cpu', 'cuda', 'cuda:N'`);
    const o = typeof opts === 'string' ? (DTYPES.includes(opts as DType) ? { dtype: opts as DType } : { device: opts as Device }) : opts;
    return new Tensor(
      N.to(this._id, o.dtype === undefined ? null : dtypeCode(o.dtype), o.device === undefined ? null : deviceCode(o.device), !!o.copy),
    );
  }
  float(): Tensor {
    return this.to({ dtype: 'float32' });
  }
  double(): Tensor {
    return this.to({ dtype: 'float64' });
  }
  long(): Tensor {
    return this.to({ dtype: 'int64' });
  }
  cpu(): Tensor {
    return this.to({ device: 'cpu' });
  }
  cuda(index = 0): Tensor {
    return this.to({ device: `cuda:${index}` });
  }
  clone(): Tensor {
    return new Tensor(N.clone(this._id));
  }
  /** A tensor sharing this one's data but cut from the autograd graph. */
  detach(): Tensor {
    return new Tensor(N.detach(this._id));
  }
  /**
   * This tensor laid out densely in `format` (default: row-major), copied only when it is not
   * already: `'channels_last'` keeps a 4-D tensor's `[N, C, H, W]` shape but stores the channels
   * innermost, which libtorch's CPU convolutions (oneDNN) run much faster on (PyTorch's
   * `x.contiguous(memory_format=torch.channels_last)`).
   */
  contiguous(format: MemoryFormat = 'contiguous'): Tensor {
    return new Tensor(N.contiguous(this._id, format));
  }
  /** A second handle to the very same tensor (same data, same autograd identity). */
  alias(): Tensor {
    return new Tensor(N.alias(this._id));
  }

  // ---- autograd ----------------------------------------------------------
  get requiresGrad(): boolean {
    return N.requiresGrad(this._id);
  }
  set requiresGrad(v: boolean) {
    N.setRequiresGrad(this._id, v);
  }
  /** Sets requiresGrad in place and returns this tensor. */
  requiresGrad_(v = true): this {
    N.setRequiresGrad(this._id, v);
    return this;
  }
  get isLeaf(): boolean {
    return N.isLeaf(this._id);
  }
  /** The accumulated gradient (a new handle to it each time), or null. */
  get grad(): Tensor | null {
    return wrapId(N.grad(this._id));
  }
  set grad(g: Tensor | null) {
    N.setGrad(this._id, g ? g._id : null);
  }
  /**
   * Makes this tensor hold `src`'s data (shape, dtype, device) while keeping its identity, its
   * autograd flags and every handle to it, like `param.data = src` in PyTorch: optimizers and other
   * holders of this tensor see the new data. `src` stays valid and may be disposed.
   */
  setData_(src: Tensor): this {
    N.setData(this._id, src._id);
    return this;
  }
  /** Keeps the gradient of a non-leaf tensor after backward. */
  retainGrad(): this {
    N.retainGrad(this._id);
    return this;
  }
  /**
   * Back-propagates from this tensor. A non-scalar tensor needs `gradient`.
   * `createGraph` records the backward pass itself, for gradients of gradients.
   */
  backward(gradient?: Tensor | null, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    N.backward(this._id, gradient ? gradient._id : null, opts.retainGraph ?? null, !!opts.createGraph);
  }

  // ---- elementwise -------------------------------------------------------
  private bin(op: number, other: Operand): Tensor {
    checkOperand(other);
    return new Tensor(typeof other === 'object' ? N.binTT(op, this._id, other._id) : N.binTS(op, this._id, other));
  }
  private binInplace(op: number, other: Operand): this {
    checkOperand(other);
    if (typeof other === 'object') N.binTTInplace(op, this._id, other._id);
    else N.binTSInplace(op, this._id, other);
    return this;
  }
  private un(op: number): Tensor {
    return new Tensor(N.unary(op, this._id));
  }

  /** `this + alpha * other` */
  add(other: Operand, alpha?: number): Tensor {
    if (alpha !== undefined && alpha !== 1) {
      checkOperand(other);
      if (typeof other !== 'object') return this.bin(B.add, Number(other) * alpha);
      return new Tensor(N.addScaled(this._id, other._id, alpha, false));
    }
    return this.bin(B.add, other);
  }
  /** `this - alpha * other` */
  sub(other: Operand, alpha?: number): Tensor {
    if (alpha !== undefined && alpha !== 1) {
      checkOperand(other);
      if (typeof other !== 'object') return this.bin(B.sub, Number(other) * alpha);
      return new Tensor(N.addScaled(this._id, other._id, -alpha, false));
    }
    return this.bin(B.sub, other);
  }
  mul(other: Operand): Tensor {
    return this.bin(B.mul, other);
  }
  div(other: Operand): Tensor {
    return this.bin(B.div, other);
  }
  pow(other: Operand): Tensor {
    return this.bin(B.pow, other);
  }
  /** `other - this` */
  rsub(other: number): Tensor {
    return new Tensor(N.binST(B.sub, other, this._id));
  }
  /** `other / this` */
  rdiv(other: number): Tensor {
    return new Tensor(N.binST(B.div, other, this._id));
  }
  /** `other ** this` */
  rpow(other: number): Tensor {
    return new Tensor(N.binST(B.pow, other, this._id));
  }
  maximum(other: Operand): Tensor {
    return this.bin(B.maximum, other);
  }
  minimum(other: Operand): Tensor {
    return this.bin(B.minimum, other);
  }
  fmod(other: Operand): Tensor {
    return this.bin(B.fmod, other);
  }
  remainder(other: Operand): Tensor {
    return this.bin(B.remainder, other);
  }
  floorDivide(other: Operand): Tensor {
    return this.bin(B.floor_divide, other);
  }
  atan2(other: Operand): Tensor {
    return this.bin(B.atan2, other);
  }
  eq(other: Operand): Tensor {
    return this.bin(B.eq, other);
  }
  ne(other: Operand): Tensor {
    return this.bin(B.ne, other);
  }
  lt(other: Operand): Tensor {
    return this.bin(B.lt, other);
  }
  le(other: Operand): Tensor {
    return this.bin(B.le, other);
  }
  gt(other: Operand): Tensor {
    return this.bin(B.gt, other);
  }
  ge(other: Operand): Tensor {
    return this.bin(B.ge, other);
  }
  logicalAnd(other: Operand): Tensor {
    return this.bin(B.logical_and, other);
  }
  logicalOr(other: Operand): Tensor {
    return this.bin(B.logical_or, other);
  }
  logicalXor(other: Operand): Tensor {
    return this.bin(B.logical_xor, other);
  }

  add_(other: Operand, alpha?: number): this {
    if (alpha !== undefined && alpha !== 1) {
      checkOperand(other);
      if (typeof other !== 'object') return this.binInplace(B.add, Number(other) * alpha);
      N.addScaled(this._id, other._id, alpha, true);
      return this;
    }
    return this.binInplace(B.add, other);
  }
  sub_(other: Operand): this {
    return this.binInplace(B.sub, other);
  }
  mul_(other: Operand): this {
    return this.binInplace(B.mul, other);
  }
  div_(other: Operand): this {
    return this.binInplace(B.div, other);
  }
  pow_(other: Operand): this {
    return this.binInplace(B.pow, other);
  }
  fill_(value: number | boolean): this {
    N.fill(this._id, value);
    return this;
  }
  zero_(): this {
    N.unaryInplace('zero', this._id);
    return this;
  }
  relu_(): this {
    N.unaryInplace('relu', this._id);
    return this;
  }
  /** Copies `src` (broadcast, converted) into this tensor. */
  copy_(src: Tensor): this {
    N.copyFrom(this._id, src._id);
    return this;
  }
  uniform_(low = 0, high = 1): this {
    N.uniform(this._id, low, high);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    N.normal(this._id, mean, std);
    return this;
  }
  clamp_(min?: number | null, max?: number | null): this {
    N.clamp(this._id, min ?? null, max ?? null, true);
    return this;
  }

  neg(): Tensor {
    return this.un(U.neg);
  }
  abs(): Tensor {
    return this.un(U.abs);
  }
  exp(): Tensor {
    return this.un(U.exp);
  }
  log(): Tensor {
    return this.un(U.log);
  }
  log2(): Tensor {
    return this.un(U.log2);
  }
  log10(): Tensor {
    return this.un(U.log10);
  }
  log1p(): Tensor {
    return this.un(U.log1p);
  }
  expm1(): Tensor {
    return this.un(U.expm1);
  }
  sqrt(): Tensor {
    return this.un(U.sqrt);
  }
  rsqrt(): Tensor {
    return this.un(U.rsqrt);
  }
  sin(): Tensor {
    return this.un(U.sin);
  }
  cos(): Tensor {
    return this.un(U.cos);
  }
  tan(): Tensor {
    return this.un(U.tan);
  }
  asin(): Tensor {
    return this.un(U.asin);
  }
  acos(): Tensor {
    return this.un(U.acos);
  }
  atan(): Tensor {
    return this.un(U.atan);
  }
  sinh(): Tensor {
    return this.un(U.sinh);
  }
  cosh(): Tensor {
    return this.un(U.cosh);
  }
  tanh(): Tensor {
    return this.un(U.tanh);
  }
  sigmoid(): Tensor {
    return this.un(U.sigmoid);
  }
  relu(): Tensor {
    return this.un(U.relu);
  }
  sign(): Tensor {
    return this.un(U.sign);
  }
  floor(): Tensor {
    return this.un(U.floor);
  }
  ceil(): Tensor {
    return this.un(U.ceil);
  }
  round(): Tensor {
    return this.un(U.round);
  }
  trunc(): Tensor {
    return this.un(U.trunc);
  }
  frac(): Tensor {
    return this.un(U.frac);
  }
  reciprocal(): Tensor {
    return this.un(U.reciprocal);
  }
  square(): Tensor {
    return this.un(U.square);
  }
  erf(): Tensor {
    return this.un(U.erf);
  }
  logicalNot(): Tensor {
    return this.un(U.logical_not);
  }
  isnan(): Tensor {
    return this.un(U.isnan);
  }
  isinf(): Tensor {
    return this.un(U.isinf);
  }
  isfinite(): Tensor {
    return this.un(U.isfinite);
  }
  /** @internal applies a named unary op from the native table */
  _unary(name: string): Tensor {
    return this.un(code(tables().un, name));
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return new Tensor(N.clamp(this._id, min ?? null, max ?? null, false));
  }
  /** Fills positions where `mask` is true with `value`. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return new Tensor(N.maskedFill(this._id, mask._id, value));
  }
  /** `this + weight * (end - this)` */
  lerp(end: Tensor, weight: number): Tensor {
    return new Tensor(N.lerp(this._id, end._id, weight));
  }

  // ---- reductions --------------------------------------------------------
  private red(kind: string, dim: number | number[] | undefined, keepdim: boolean): Tensor {
    return new Tensor(N.reduce(kind, this._id, dim ?? null, keepdim));
  }
  /** Sum over `dim` (all dimensions when omitted). */
  sum(dim?: number | number[], keepdim = false): Tensor {
    return this.red('sum', dim, keepdim);
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return this.red('mean', dim, keepdim);
  }
  prod(dim?: number, keepdim = false): Tensor {
    return this.red('prod', dim, keepdim);
  }
  logsumexp(dim?: number | number[], keepdim = false): Tensor {
    return this.red('logsumexp', dim, keepdim);
  }
  /** Maximum over `dim` (values only; see {@link maxWithIndices}); over everything when omitted. */
  max(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? new Tensor(N.maxMin(true, this._id, null, false)) : this.red('amax', dim, keepdim);
  }
  min(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? new Tensor(N.maxMin(false, this._id, null, false)) : this.red('amin', dim, keepdim);
  }
  /** `[values, indices]` of the maximum along `dim`. */
  maxWithIndices(dim: number, keepdim = false): [Tensor, Tensor] {
    const [v, i] = N.maxMin(true, this._id, dim, keepdim);
    return [new Tensor(v), new Tensor(i)];
  }
  minWithIndices(dim: number, keepdim = false): [Tensor, Tensor] {
    const [v, i] = N.maxMin(false, this._id, dim, keepdim);
    return [new Tensor(v), new Tensor(i)];
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argMaxMin(true, this._id, dim ?? null, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(N.argMaxMin(false, this._id, dim ?? null, keepdim));
  }
  /** Variance; `correction` 1 (default) is the unbiased estimator. */
  var(dim?: number | number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return new Tensor(N.varStd(false, this._id, dim ?? null, opts.correction ?? 1, !!opts.keepdim));
  }
  std(dim?: number | number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return new Tensor(N.varStd(true, this._id, dim ?? null, opts.correction ?? 1, !!opts.keepdim));
  }
  norm(p = 2, dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(N.norm(this._id, p, dim ?? null, keepdim));
  }
  all(dim?: number, keepdim = false): Tensor {
    return this.red('all', dim, keepdim);
  }
  any(dim?: number, keepdim = false): Tensor {
    return this.red('any', dim, keepdim);
  }
  cumsum(dim: number): Tensor {
    return new Tensor(N.cumsum(this._id, dim));
  }
  sort(dim = -1, descending = false): [Tensor, Tensor] {
    const [v, i] = N.sort(this._id, dim, descending);
    return [new Tensor(v), new Tensor(i)];
  }
  topk(k: number, dim = -1, largest = true): [Tensor, Tensor] {
    const [v, i] = N.topk(this._id, k, dim, largest);
    return [new Tensor(v), new Tensor(i)];
  }
  /** True when shapes and values are identical. */
  equal(other: Tensor): boolean {
    return N.equal(this._id, other._id);
  }
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
    return N.allclose(this._id, other._id, rtol, atol);
  }

  // ---- shape -------------------------------------------------------------
  reshape(...shape: number[] | [number[]]): Tensor {
    return new Tensor(N.reshape(this._id, Array.isArray(shape[0]) ? shape[0] : shape));
  }
  view(...shape: number[] | [number[]]): Tensor {
    return new Tensor(N.view(this._id, Array.isArray(shape[0]) ? shape[0] : shape));
  }
  permute(...dims: number[] | [number[]]): Tensor {
    return new Tensor(N.permute(this._id, Array.isArray(dims[0]) ? dims[0] : dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(N.transpose(this._id, dim0, dim1));
  }
  /** Transpose of a 2-d tensor. */
  t(): Tensor {
    return this.transpose(0, 1);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(N.flatten(this._id, startDim, endDim));
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(N.squeeze(this._id, dim ?? null));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(N.unsqueeze(this._id, dim));
  }
  /** `length` elements of `dim` from `start` (a view). */
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(N.narrow(this._id, dim, start, length));
  }
  /** Like Python's `x[start:end:step]` along `dim` (a view); negative indices count from the end. */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return new Tensor(N.slice(this._id, dim, start ?? null, end ?? null, step));
  }
  /** Like `x[..., index, ...]` on `dim`: removes that dimension (a view). */
  select(dim: number, index: number): Tensor {
    return new Tensor(N.select(this._id, dim, index));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(N.indexSelect(this._id, dim, index._id));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(N.gather(this._id, dim, index._id));
  }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(N.scatter(this._id, dim, index._id, src._id));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(N.scatterAdd(this._id, dim, index._id, src._id));
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(N.maskedSelect(this._id, mask._id));
  }
  nonzero(): Tensor {
    return new Tensor(N.nonzero(this._id));
  }
  /** Broadcasts to a larger shape without copying (-1 keeps a dimension). */
  expand(...shape: number[] | [number[]]): Tensor {
    return new Tensor(N.expand(this._id, Array.isArray(shape[0]) ? shape[0] : shape));
  }
  expandAs(other: Tensor): Tensor {
    return this.expand(other.shape);
  }
  repeat(...times: number[] | [number[]]): Tensor {
    return new Tensor(N.repeat(this._id, Array.isArray(times[0]) ? times[0] : times));
  }
  flip(dims: number[]): Tensor {
    return new Tensor(N.flip(this._id, dims));
  }
  roll(shifts: number | number[], dims: number | number[]): Tensor {
    return new Tensor(N.roll(this._id, shifts, dims));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(N.tril(this._id, diagonal, false));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(N.tril(this._id, diagonal, true));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return wrapIds(N.chunk(this._id, chunks, dim));
  }
  /** Splits into pieces of `size` (or of the listed sizes) along `dim`. */
  split(size: number | number[], dim = 0): Tensor[] {
    return wrapIds(N.split(this._id, size, dim));
  }

  // ---- linear algebra ----------------------------------------------------
  matmul(other: Tensor): Tensor {
    return new Tensor(N.matmul(this._id, other._id));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(N.bmm(this._id, other._id));
  }
}

// ---------------------------------------------------------------------------
// creation
// ---------------------------------------------------------------------------

function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) N.setRequiresGrad(t._id, true);
  return t;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flattenNested(data: NestedArray, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (Array.isArray(data)) throw new Error('tensor(): ragged nested array (rows of different depth)');
    if (typeof data !== 'number' && typeof data !== 'boolean')
      throw new Error(`tensor(): expected numbers or booleans, got ${typeof data}`);
    out.push(Number(data));
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth])
    throw new Error(`tensor(): ragged nested array: expected ${shape[depth]} elements at depth ${depth}`);
  for (const v of data as readonly NestedArray[]) flattenNested(v, shape, depth + 1, out);
}

function typedDtype(a: TypedArrayLike): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof BigInt64Array) return 'int64';
  return 'uint8';
}

function toTyped(values: ArrayLike<number>, dtype: DType): ArrayBufferView {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(Array.from(values), (v) => BigInt(Math.trunc(v)));
    case 'int32':
      return Int32Array.from(values);
    case 'int16':
      return Int16Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'uint8':
      return Uint8Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default:
      return Float32Array.from(values);
  }
}

/**
 * Makes a tensor from nested arrays, a typed array (with `shape`), or a number.
 * The dtype follows the data (Float32Array -> float32, booleans -> bool, numbers -> float32)
 * unless `opts.dtype` is given.
 */
export function tensor(data: NestedArray | TypedArrayLike, opts: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  let view: ArrayBufferView;
  let shape: number[];
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    const typed = data as TypedArrayLike;
    shape = opts.shape ? shapeArg(opts.shape, 'tensor') : [typed.length];
    dtype = typedDtype(typed);
    const numel = shape.reduce((a, b) => a * b, 1);
    if (numel !== typed.length) throw new Error(`tensor(): shape [${shape.join(', ')}] needs ${numel} elements, data has ${typed.length}`);
    view = typed;
    if (opts.dtype && opts.dtype !== dtype) {
      if (opts.dtype === 'float16' || opts.dtype === 'bfloat16') {
        const t = new Tensor(N.fromBuffer(typed, dtypeCode(dtype), shape, -1));
        try {
          return finish(t.to({ dtype: opts.dtype, device: opts.device ?? 'cpu' }), opts);
        } finally {
          t.dispose();
        }
      }
      view = toTyped(typed instanceof BigInt64Array ? Array.from(typed, Number) : (typed as ArrayLike<number>), opts.dtype);
      dtype = opts.dtype;
    }
  } else {
    shape = inferShape(data as NestedArray);
    const flat: number[] = [];
    flattenNested(data as NestedArray, shape, 0, flat);
    const allBool = typeof (Array.isArray(data) ? flatFirst(data as NestedArray) : data) === 'boolean';
    dtype = opts.dtype ?? (allBool ? 'bool' : 'float32');
    if (opts.shape) {
      const s = shapeArg(opts.shape, 'tensor');
      if (s.reduce((a, b) => a * b, 1) !== flat.length) throw new Error(`tensor(): shape [${s.join(', ')}] does not fit ${flat.length} elements`);
      shape = s;
    }
    if (dtype === 'float16' || dtype === 'bfloat16') {
      const t = new Tensor(N.fromBuffer(Float32Array.from(flat), 0, shape, -1));
      try {
        return finish(t.to({ dtype, device: opts.device ?? 'cpu' }), opts);
      } finally {
        t.dispose();
      }
    }
    view = toTyped(flat, dtype);
  }
  return finish(new Tensor(N.fromBuffer(view, dtypeCode(dtype), shape, deviceCode(opts.device))), opts);
}

function flatFirst(d: NestedArray): NestedArray {
  let cur = d;
  while (Array.isArray(cur) && cur.length) cur = cur[0];
  return cur;
}

function creator(fn: string) {
  return (shape: readonly number[] | number, opts: TensorOptions = {}): Tensor =>
    finish(new Tensor(N[fn](shapeArg(shape, fn), dtypeCode(opts.dtype ?? 'float32'), deviceCode(opts.device))), opts);
}
/** Uninitialised memory of the given shape. */
export const empty = creator('empty');
export const zeros = creator('zeros');
export const ones = creator('ones');
/** Uniform samples in [0, 1). */
export const rand = creator('rand');
/** Standard normal samples. */
export const randn = creator('randn');

export function full(shape: readonly number[] | number, value: number, opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.full(shapeArg(shape, 'full'), value, dtypeCode(opts.dtype ?? 'float32'), deviceCode(opts.device))), opts);
}
/** Values from `start` to `end` (exclusive) by `step`; `arange(n)` counts 0..n-1. Integer arguments give int64. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new Error('arange(): step must not be zero');
  const dtype = opts.dtype ?? (Number.isInteger(s) && Number.isInteger(e) && Number.isInteger(step) ? 'int64' : 'float32');
  return finish(new Tensor(N.arange(s, e, step, dtypeCode(dtype), deviceCode(opts.device))), opts);
}
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.linspace(start, end, steps, dtypeCode(opts.dtype ?? 'float32'), deviceCode(opts.device))), opts);
}
/** Integers uniformly in [low, high). */
export function randint(low: number, high: number, shape: readonly number[] | number, opts: TensorOptions = {}): Tensor {
  if (high <= low) throw new Error(`randint(): high (${high}) must be greater than low (${low})`);
  return finish(new Tensor(N.randint(low, high, shapeArg(shape, 'randint'), dtypeCode(opts.dtype ?? 'int64'), deviceCode(opts.device))), opts);
}
/** A random permutation of 0..n-1. */
export function randperm(n: number, opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.randperm(n, dtypeCode(opts.dtype ?? 'int64'), deviceCode(opts.device))), opts);
}
export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.eye(n, m, dtypeCode(opts.dtype ?? 'float32'), deviceCode(opts.device))), opts);
}
/** A 0-d tensor holding one value. */
export function scalar(value: number, opts: TensorOptions = {}): Tensor {
  return finish(new Tensor(N.scalar(value, dtypeCode(opts.dtype ?? 'float32'), deviceCode(opts.device))), opts);
}
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return zeros(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return ones(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
export function fullLike(t: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, device: t.device, ...opts });
}
export function randLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return rand(t.shape, { dtype: isFloating(t.dtype) ? t.dtype : 'float32', device: t.device, ...opts });
}
export function randnLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return randn(t.shape, { dtype: isFloating(t.dtype) ? t.dtype : 'float32', device: t.device, ...opts });
}

// ---------------------------------------------------------------------------
// functions over several tensors
// ---------------------------------------------------------------------------

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(N.cat(tensorIds(tensors, 'cat'), dim));
}
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(N.stack(tensorIds(tensors, 'stack'), dim));
}
/** Elementwise `cond ? a : b`. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  return new Tensor(
    N.where(cond._id, typeof a === 'number' ? a : a._id, typeof b === 'number' ? b : b._id, typeof a === 'number', typeof b === 'number'),
  );
}
export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.matmul(b);
}
export function outer(a: Tensor, b: Tensor): Tensor {
  return new Tensor(N.outer(a._id, b._id));
}
export function einsum(equation: string, ...tensors: Tensor[]): Tensor {
  return new Tensor(N.einsum(equation, tensors.map((t) => t._id)));
}
/** Samples `n` indices per row from the (unnormalised) probabilities in `probs`. */
export function multinomial(probs: Tensor, n: number, replacement = false): Tensor {
  return new Tensor(N.multinomial(probs._id, n, replacement));
}
/** Samples 0/1 with the probabilities in `probs`. */
export function bernoulli(probs: Tensor): Tensor {
  return new Tensor(N.bernoulli(probs._id));
}
