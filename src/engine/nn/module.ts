/**
 * The `Module` base class, like `torch.nn.Module`.
 *
 * ## How a module declares its parts
 *
 * - **Child modules** are found, not registered: every own enumerable property whose value is a
 *   `Module` is a child, named after the property, in property order (the order fields are
 *   declared or first assigned). So both of these work, and mean the same thing:
 *   ```ts
 *   class Net extends Module {
 *     conv = new Conv2d(3, 16, 3);          // a class field
 *     fc: Linear;
 *     constructor() {
 *       super();
 *       this.fc = new Linear(16, 10);       // or: this.registerModule('fc', new Linear(16, 10))
 *     }
 *     override forward(x: Tensor): Tensor { ... }
 *   }
 *   ```
 *   `registerModule(name, m)` just assigns the property (checking the name) and returns `m`.
 *   Arrays or plain objects of modules are *not* searched (as in PyTorch): use
 *   {@link ModuleList} / {@link ModuleDict}. To hold a module that should not be a child,
 *   store it in a non-enumerable property (`Object.defineProperty`).
 *   Note: JavaScript lists integer-like property names (`'0'`, `'1'`) before other names.
 * - **Parameters and buffers** are plain tensors, so they must be registered
 *   (`this.weight = this.registerParameter('weight', t)` or just `this.registerParameter('weight', t)`;
 *   either way the value lives in the property of that name). Registration order is kept.
 *   To replace one later, call `registerParameter` / `registerBuffer` again with the same name.
 *   A parameter or buffer may be `null` (like `bias=None`); it is then skipped everywhere.
 *
 * Parameters and buffers are marked with `keep()`, so a model built inside `tidy()` survives it;
 * they are freed by {@link Module.dispose}.
 *
 * Subclasses must not use JavaScript `#private` fields for tensors or modules (they are
 * invisible to the traversal); TypeScript `private` is fine. A subclass that redeclares a field
 * its parent constructor assigned must use `declare` (a plain field declaration would reset it).
 * @module
 */
import { type DType, DTYPES, type Device, isFloating } from '../dtype.js';
import { N } from '../native.js';
import { loadSafetensors, saveSafetensors } from '../safetensors.js';
import { type MemoryFormat, Tensor, keep, noGrad } from '../tensor.js';

/** A state dict: tensor names (dotted paths) to tensors. */
export type StateDict = Map<string, Tensor>;

/** Result of {@link Module.loadStateDict}. */
export interface LoadResult {
  /** Names the module has but the state dict lacks. */
  missingKeys: string[];
  /** Names in the state dict the module does not have. */
  unexpectedKeys: string[];
}

/** A forward pre-hook: sees the inputs; returning an array replaces them (anything else is ignored). */
export type ForwardPreHook = (module: Module, args: unknown[]) => unknown;
/** A forward hook: sees inputs and output; may return a replacement output or nothing. */
export type ForwardHook = (module: Module, args: unknown[], output: unknown) => unknown;

/** Returned by hook registration: call `remove()` to unregister. */
export interface HookHandle {
  remove(): void;
}

function checkName(kind: string, owner: Module, name: string): void {
  if (typeof name !== 'string' || name === '') throw new Error(`${owner.constructor.name}.${kind}: name must be a non-empty string`);
  if (name.includes('.')) throw new Error(`${owner.constructor.name}.${kind}: name '${name}' must not contain '.'`);
}

/** Reads a property by name. */
function prop(obj: object, name: string): unknown {
  return (obj as Record<string, unknown>)[name];
}

function isTensorLike(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

/**
 * Base class of all layers and networks. Subclasses define {@link Module.forward};
 * callers use {@link Module.call}, which also runs hooks.
 */
export class Module {
  /** Whether the module is in training mode (see {@link Module.train} / {@link Module.eval}). */
  training = true;
  // Internal bookkeeping lives in non-enumerable properties so the child search skips it.
  declare private _paramNames: string[];
  declare private _bufferNames: string[];
  declare private _nonPersistent: Set<string>;
  declare private _preHooks: Map<number, ForwardPreHook>;
  declare private _hooks: Map<number, ForwardHook>;

  constructor() {
    for (const [k, v] of [
      ['_paramNames', []],
      ['_bufferNames', []],
      ['_nonPersistent', new Set()],
      ['_preHooks', new Map()],
      ['_hooks', new Map()],
    ] as const) {
      Object.defineProperty(this, k, { value: v, enumerable: false, writable: false, configurable: false });
    }
  }

  // ---- forward -------------------------------------------------------------

  /** The computation. Subclasses override it; the base throws. */
  forward(..._args: unknown[]): unknown {
    throw new Error(`${this.constructor.name} has no forward()`);
  }

  /** Runs {@link forward} with forward pre-hooks and hooks, like calling a `torch.nn.Module`. */
  call(...args: Parameters<this['forward']>): ReturnType<this['forward']> {
    let a: unknown[] = args;
    for (const h of this._preHooks.values()) {
      const r = h(this, a);
      if (Array.isArray(r)) a = r;
    }
    let out: unknown = Reflect.apply(this.forward, this, a);
    for (const h of this._hooks.values()) {
      const r = h(this, a, out);
      if (r !== undefined) out = r;
    }
    return out as ReturnType<this['forward']>;
  }

  /** Registers a hook run before every {@link call}. */
  registerForwardPreHook(hook: ForwardPreHook): HookHandle {
    return addHook(this._preHooks, hook);
  }
  /** Registers a hook run after every {@link call} (e.g. to record activations). */
  registerForwardHook(hook: ForwardHook): HookHandle {
    return addHook(this._hooks, hook);
  }

  // ---- registration --------------------------------------------------------

  /**
   * Registers a parameter: stores `t` in property `name`, marks it `requiresGrad` (unless
   * `opts.requiresGrad` is false) and {@link keep}s it. `t` must be a leaf tensor (use
   * `x.detach()` for a computed one). Returns `t`. `null` registers an absent parameter.
   */
  registerParameter<T extends Tensor | null>(name: string, t: T, opts: { requiresGrad?: boolean } = {}): T {
    checkName('registerParameter', this, name);
    if (this._bufferNames.includes(name)) throw new Error(`${this.constructor.name}: '${name}' is already a buffer`);
    if (this.ownModule(name)) throw new Error(`${this.constructor.name}: '${name}' is already a child module`);
    if (t !== null) {
      if (!isTensorLike(t)) throw new Error(`${this.constructor.name}.registerParameter('${name}'): expected a Tensor or null`);
      if (!t.isLeaf) throw new Error(`${this.constructor.name}.registerParameter('${name}'): a parameter must be a leaf tensor; pass x.detach()`);
      keep(t);
      t.requiresGrad = opts.requiresGrad ?? true;
    }
    if (!this._paramNames.includes(name)) this._paramNames.push(name);
    this.setSlot(name, t);
    return t;
  }

  /**
   * Registers a buffer: state that is not trained (e.g. BatchNorm's running statistics).
   * A persistent buffer (the default) is part of {@link stateDict}. Returns `t`.
   */
  registerBuffer<T extends Tensor | null>(name: string, t: T, opts: { persistent?: boolean } = {}): T {
    checkName('registerBuffer', this, name);
    if (this._paramNames.includes(name)) throw new Error(`${this.constructor.name}: '${name}' is already a parameter`);
    if (this.ownModule(name)) throw new Error(`${this.constructor.name}: '${name}' is already a child module`);
    if (t !== null) {
      if (!isTensorLike(t)) throw new Error(`${this.constructor.name}.registerBuffer('${name}'): expected a Tensor or null`);
      keep(t);
    }
    if (!this._bufferNames.includes(name)) this._bufferNames.push(name);
    if (opts.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    this.setSlot(name, t);
    return t;
  }

  /** Adds a child module under `name` (the same as assigning `this[name] = m`). Returns `m`. */
  registerModule<M extends Module | null>(name: string, m: M): M {
    checkName('registerModule', this, name);
    if (this._paramNames.includes(name) || this._bufferNames.includes(name))
      throw new Error(`${this.constructor.name}: '${name}' is already a parameter or buffer`);
    if (m !== null && !(m instanceof Module)) throw new Error(`${this.constructor.name}.registerModule('${name}'): expected a Module`);
    this.setSlot(name, m);
    return m;
  }

  private setSlot(name: string, v: unknown): void {
    const desc = Object.getOwnPropertyDescriptor(this, name);
    if (desc && !desc.writable && !desc.set) throw new Error(`${this.constructor.name}: '${name}' is not writable`);
    if (!desc && name in this && typeof prop(this, name) === 'function')
      throw new Error(`${this.constructor.name}: '${name}' would hide a method`);
    Object.defineProperty(this, name, { value: v, writable: true, enumerable: true, configurable: true });
  }

  private ownModule(name: string): boolean {
    for (const [n] of this.namedChildren()) if (n === name) return true;
    return false;
  }

  // ---- traversal -----------------------------------------------------------

  /**
   * This module's direct children with their names, in order. The default finds own enumerable
   * properties holding modules; containers override it.
   */
  *namedChildren(): IterableIterator<[string, Module]> {
    for (const key of Object.keys(this)) {
      const v = prop(this, key);
      if (v instanceof Module) yield [key, v];
    }
  }
  /** Direct children. */
  *children(): IterableIterator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and all below it, pre-order, each module once; names are dotted paths ('' for this one). */
  *namedModules(prefix = '', memo: Set<Module> = new Set()): IterableIterator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [n, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${n}` : n, memo);
  }
  /** This module and all below it. */
  *modules(): IterableIterator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Own parameters (not those of children), in registration order, skipping nulls. */
  *ownNamedParameters(): IterableIterator<[string, Tensor]> {
    for (const n of this._paramNames) {
      const t = prop(this, n);
      if (t != null) yield [n, t as Tensor];
    }
  }
  /** Own buffers (not those of children), in registration order, skipping nulls. */
  *ownNamedBuffers(persistentOnly = false): IterableIterator<[string, Tensor]> {
    for (const n of this._bufferNames) {
      if (persistentOnly && this._nonPersistent.has(n)) continue;
      const t = prop(this, n);
      if (t != null) yield [n, t as Tensor];
    }
  }

  /**
   * All parameters with dotted names (`features.0.weight`), modules pre-order and each module's
   * own parameters in registration order. A tensor shared by several modules appears once.
   */
  *namedParameters(opts: { recurse?: boolean } = {}): IterableIterator<[string, Tensor]> {
    yield* this.namedMembers((m) => m.ownNamedParameters(), opts.recurse ?? true);
  }
  /** All parameters (each once). Pass to an optimizer. */
  *parameters(opts: { recurse?: boolean } = {}): IterableIterator<Tensor> {
    for (const [, t] of this.namedParameters(opts)) yield t;
  }
  /** All buffers with dotted names (each tensor once). */
  *namedBuffers(opts: { recurse?: boolean } = {}): IterableIterator<[string, Tensor]> {
    yield* this.namedMembers((m) => m.ownNamedBuffers(), opts.recurse ?? true);
  }
  /** All buffers (each once). */
  *buffers(opts: { recurse?: boolean } = {}): IterableIterator<Tensor> {
    for (const [, t] of this.namedBuffers(opts)) yield t;
  }

  private *namedMembers(get: (m: Module) => Iterable<[string, Tensor]>, recurse: boolean): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules() : [['', this]];
    for (const [prefix, m] of mods) {
      for (const [n, t] of get(m)) {
        if (seen.has(t)) continue;
        seen.add(t);
        yield [prefix ? `${prefix}.${n}` : n, t];
      }
    }
  }

  /** The submodule at a dotted path (`'features.0'`); `''` is this module. */
  getSubmodule(path: string): Module {
    if (path === '') return this;
    let m: Module = this;
    for (const part of path.split('.')) {
      const next = [...m.namedChildren()].find(([n]) => n === part);
      if (!next) throw new Error(`${m.constructor.name} has no child '${part}' (looking up '${path}')`);
      m = next[1];
    }
    return m;
  }

  /** Total number of elements in the parameters (each shared tensor counted once). */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!opts.trainableOnly || p.requiresGrad) n += p.numel();
    return n;
  }

  // ---- modes ---------------------------------------------------------------

  /** Sets training mode on this module and all below it. Returns this. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Evaluation mode: the same as `train(false)`. Returns this. */
  eval(): this {
    return this.train(false);
  }
  /** Sets `requiresGrad` on every parameter (false freezes the module). Returns this. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }
  /** Clears parameter gradients: sets them to none (default) or to zero. */
  zeroGrad(setToNone = true): void {
    N.zeroGrads(
      [...this.parameters()].map((p) => p._id),
      setToNone,
    );
  }

  /** Calls `fn` on every submodule (children first) and then on this module. Returns this. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- state ---------------------------------------------------------------

  /**
   * Parameters and persistent buffers by dotted name, in PyTorch's order (each module's own
   * parameters, then its buffers, then its children). Values are detached aliases that share
   * memory with the module's tensors: writing into them changes the module, and the caller
   * should dispose them (disposing does not free the module's tensors).
   */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [name, t] of this.stateEntries()) out.set(name, t.detach());
    return out;
  }

  /** The module's own tensors behind each state-dict key (no copies). @internal */
  *stateEntries(prefix = '', ancestors: Set<Module> = new Set()): IterableIterator<[string, Tensor]> {
    if (ancestors.has(this)) return;
    ancestors.add(this);
    const join = (n: string) => (prefix ? `${prefix}.${n}` : n);
    for (const [n, t] of this.ownNamedParameters()) yield [join(n), t];
    for (const [n, t] of this.ownNamedBuffers(true)) yield [join(n), t];
    for (const [n, m] of this.namedChildren()) yield* m.stateEntries(join(n), ancestors);
    ancestors.delete(this);
  }

  /**
   * Copies tensors from `sd` into this module's parameters and buffers (in place, without
   * recording gradients; dtype and device are converted). Nothing is copied unless every check
   * passes. Shape mismatches always throw; with `strict` (the default) missing and unexpected keys
   * throw too, listing them all. Returns the missing and unexpected keys.
   */
  loadStateDict(sd: Map<string, Tensor> | Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const given = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = [...this.stateEntries()];
    const ownNames = new Set(own.map(([n]) => n));
    const missingKeys = own.map(([n]) => n).filter((n) => !given.has(n));
    const unexpectedKeys = [...given.keys()].filter((n) => !ownNames.has(n));
    const problems: string[] = [];
    if (strict && missingKeys.length) problems.push(`Missing key(s): ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`Unexpected key(s): ${unexpectedKeys.join(', ')}`);
    for (const [n, t] of own) {
      const src = given.get(n);
      if (!src) continue;
      if (!isTensorLike(src) || src.isDisposed) {
        problems.push(`'${n}' in the state dict is not a live tensor`);
        continue;
      }
      const a = src.shape;
      const b = t.shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i]))
        problems.push(`size mismatch for ${n}: the state dict has shape [${a.join(', ')}], the module has [${b.join(', ')}]`);
    }
    if (problems.length) throw new Error(`error(s) loading the state dict into ${this.constructor.name}:\n  ${problems.join('\n  ')}`);
    noGrad(() => {
      for (const [n, t] of own) {
        const src = given.get(n);
        if (src) t.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- conversion, lifetime ------------------------------------------------

  /**
   * Moves and/or converts every parameter and buffer in place, like PyTorch's `module.to()`:
   * a dtype applies to floating-point tensors only. Each tensor keeps its identity (its data is
   * swapped with {@link Tensor.setData_}), so optimizers and other holders of the parameters keep
   * working; gradients are converted too. `memoryFormat: 'channels_last'` lays out every 4-D
   * parameter and buffer (convolution weights) with the channels innermost, like PyTorch's
   * `module.to(memory_format=torch.channels_last)`: convolutions then compute in that layout (on
   * a CPU, oneDNN's fast path) whatever the input's; `'contiguous'` undoes it. Returns this.
   */
  to(target: Device | DType | { device?: Device; dtype?: DType; memoryFormat?: MemoryFormat }): this {
    const o = typeof target === 'string' ? (DTYPES.includes(target as DType) ? { dtype: target as DType } : { device: target as Device }) : target;
    const seen = new Set<Tensor>();
    for (const m of this.modules()) {
      for (const n of [...m._paramNames, ...m._bufferNames]) {
        const t = prop(m, n);
        if (t != null) seen.add(t as Tensor);
      }
    }
    const wantDevice = o.device === undefined ? undefined : o.device === 'cuda' ? 'cuda:0' : o.device;
    noGrad(() => {
      for (const t of seen) {
        const dtype = o.dtype !== undefined && isFloating(t.dtype) && t.dtype !== o.dtype ? o.dtype : undefined;
        const device = wantDevice !== undefined && t.device !== wantDevice ? wantDevice : undefined;
        const format = o.memoryFormat !== undefined && t.ndim === 4 && t.memoryFormat !== o.memoryFormat ? o.memoryFormat : undefined;
        if (dtype === undefined && device === undefined && format === undefined) continue;
        const convert = (x: Tensor): Tensor => {
          const moved = dtype === undefined && device === undefined ? x.alias() : x.to({ dtype, device });
          if (format === undefined) return moved;
          const laid = moved.contiguous(format);
          moved.dispose();
          return laid;
        };
        const g = t.grad;
        if (g) t.grad = null;
        const nt = convert(t);
        t.setData_(nt);
        nt.dispose();
        if (g) {
          const ng = convert(g);
          t.grad = ng;
          ng.dispose();
          g.dispose();
        }
      }
    });
    return this;
  }
  /** Converts floating-point parameters and buffers to float32. */
  float(): this {
    return this.to('float32');
  }
  /** Converts floating-point parameters and buffers to float64. */
  double(): this {
    return this.to('float64');
  }
  /** Converts floating-point parameters and buffers to float16. */
  half(): this {
    return this.to('float16');
  }
  /** Moves to the CPU. */
  cpu(): this {
    return this.to('cpu');
  }
  /** Moves to a CUDA device. */
  cuda(index = 0): this {
    return this.to(`cuda:${index}`);
  }

  /** Frees every parameter and buffer of this module and all below it. Safe to call twice. */
  dispose(): void {
    const all = new Set<Tensor>();
    for (const m of this.modules()) {
      for (const n of [...m._paramNames, ...m._bufferNames]) {
        const t = prop(m, n);
        if (isTensorLike(t)) all.add(t);
      }
    }
    for (const t of all) t.dispose();
  }

  // ---- files ---------------------------------------------------------------

  /** Saves the state dict to a safetensors file (written atomically). */
  save(path: string, metadata?: Record<string, string>): void {
    const sd = this.stateDict();
    try {
      saveSafetensors(path, sd, metadata);
    } finally {
      for (const t of sd.values()) t.dispose();
    }
  }
  /** Loads a safetensors file written by {@link save} (or by Python) into this module. */
  load(path: string, opts: { strict?: boolean } = {}): LoadResult {
    const file = loadSafetensors(path);
    try {
      return this.loadStateDict(file, opts);
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`);
    } finally {
      file.dispose();
    }
  }

  // ---- printing ------------------------------------------------------------

  /** Extra text shown inside this module's parentheses by {@link toString}. */
  extraRepr(): string {
    return '';
  }
  /** A PyTorch-style tree of the module. */
  toString(): string {
    const kids = [...this.namedChildren()];
    const extra = this.extraRepr();
    if (!kids.length) return `${this.constructor.name}(${extra})`;
    const lines = kids.map(([n, m]) => `  (${n}): ${m.toString().split('\n').join('\n  ')}`);
    if (extra) lines.unshift(`  ${extra}`);
    return `${this.constructor.name}(\n${lines.join('\n')}\n)`;
  }
}

let nextHook = 0;
function addHook<H>(map: Map<number, H>, hook: H): HookHandle {
  const id = nextHook++;
  map.set(id, hook);
  return { remove: () => void map.delete(id) };
}
