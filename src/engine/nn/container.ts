/**
 * Containers, like `torch.nn.Sequential`, `ModuleList` and `ModuleDict`. They hold their
 * children in order (not as properties), so any key is allowed, order is insertion order, and
 * state-dict names are `<index>.<param>` or `<key>.<param>`.
 * @module
 */
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

function checkModule(owner: string, m: unknown, where: string): Module {
  if (!(m instanceof Module)) throw new Error(`${owner}: ${where} is not a Module`);
  return m;
}
function checkKey(owner: string, key: unknown): string {
  if (typeof key !== 'string' || key === '' || key.includes('.')) throw new Error(`${owner}: key ${JSON.stringify(key)} must be a non-empty string without '.'`);
  return key;
}

/**
 * Runs its modules one after another, feeding each the previous one's output. Children are
 * named '0', '1', ... or, when built from a record, by its keys:
 * `new Sequential(new Conv2d(3, 8, 3), new ReLU())` or `new Sequential({ conv: ..., act: ... })`.
 */
export class Sequential extends Module {
  declare private items: [string, Module][];

  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    Object.defineProperty(this, 'items', { value: [], enumerable: false });
    if (modules.length === 1 && !(modules[0] instanceof Module) && typeof modules[0] === 'object' && modules[0] !== null) {
      for (const [k, m] of Object.entries(modules[0] as Record<string, Module>)) this.registerModule(k, m);
    } else {
      (modules as Module[]).forEach((m, i) => {
        this.items.push([String(i), checkModule('Sequential', m, `argument ${i}`)]);
      });
    }
  }

  override *namedChildren(): IterableIterator<[string, Module]> {
    yield* this.items;
  }
  /** Adds a child under `name` (replacing one of the same name in place). */
  override registerModule<M extends Module | null>(name: string, m: M): M {
    checkKey('Sequential', name);
    if (m === null) throw new Error('Sequential: a child cannot be null');
    checkModule('Sequential', m, `'${name}'`);
    const i = this.items.findIndex(([n]) => n === name);
    if (i >= 0) this.items[i] = [name, m];
    else this.items.push([name, m]);
    return m;
  }

  /** Number of modules. */
  get length(): number {
    return this.items.length;
  }
  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const i = index < 0 ? index + this.items.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.items.length) throw new Error(`Sequential: index ${index} out of range for ${this.items.length} modules`);
    return this.items[i][1];
  }
  /** Appends a module (named by its position). Returns this. */
  append(m: Module): this {
    this.registerModule(String(this.items.length), m);
    return this;
  }
  /** A new Sequential holding (not copying) modules `start`..`end` (exclusive), like `seq[start:end]`. */
  slice(start?: number, end?: number): Sequential {
    const s = new Sequential();
    for (const [n, m] of this.items.slice(start, end)) s.registerModule(n, m);
    return s;
  }
  [Symbol.iterator](): IterableIterator<Module> {
    return this.children();
  }

  override forward(x: Tensor): Tensor {
    let y: unknown = x;
    for (const [, m] of this.items) y = m.call(y);
    return y as Tensor;
  }
}

/** A list of modules (children named '0', '1', ...). It has no forward: index it. */
export class ModuleList extends Module {
  declare private items: Module[];

  constructor(modules: Iterable<Module> = []) {
    super();
    Object.defineProperty(this, 'items', { value: [], enumerable: false });
    this.extend(modules);
  }

  override *namedChildren(): IterableIterator<[string, Module]> {
    for (let i = 0; i < this.items.length; i++) yield [String(i), this.items[i]];
  }
  /** `name` must be an index: an existing one (replaced) or the length (appended). */
  override registerModule<M extends Module | null>(name: string, m: M): M {
    const i = Number(name);
    if (!/^\d+$/.test(name) || i > this.items.length) throw new Error(`ModuleList: child name must be an index up to ${this.items.length}, got '${name}'`);
    if (m === null) throw new Error('ModuleList: a child cannot be null');
    this.items[i] = checkModule('ModuleList', m, `item ${i}`);
    return m;
  }

  /** Number of modules. */
  get length(): number {
    return this.items.length;
  }
  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const i = index < 0 ? index + this.items.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.items.length) throw new Error(`ModuleList: index ${index} out of range for ${this.items.length} modules`);
    return this.items[i];
  }
  /** Replaces the module at `index`. */
  set(index: number, m: Module): void {
    const i = index < 0 ? index + this.items.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.items.length) throw new Error(`ModuleList: index ${index} out of range for ${this.items.length} modules`);
    this.items[i] = checkModule('ModuleList', m, `item ${index}`);
  }
  /** Appends a module. Returns this. */
  append(m: Module): this {
    this.items.push(checkModule('ModuleList', m, `item ${this.items.length}`));
    return this;
  }
  /** Same as {@link append}. */
  push(m: Module): this {
    return this.append(m);
  }
  /** Appends several modules. Returns this. */
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  /** Inserts a module before `index` (later children are renumbered). */
  insert(index: number, m: Module): void {
    const i = index < 0 ? Math.max(0, index + this.items.length) : Math.min(index, this.items.length);
    this.items.splice(i, 0, checkModule('ModuleList', m, `item ${index}`));
  }
  [Symbol.iterator](): IterableIterator<Module> {
    return this.items[Symbol.iterator]();
  }
}

/** Modules by string key, in insertion order. It has no forward: look modules up. */
export class ModuleDict extends Module {
  declare private items: Map<string, Module>;

  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    Object.defineProperty(this, 'items', { value: new Map(), enumerable: false });
    const entries = Symbol.iterator in modules ? (modules as Iterable<[string, Module]>) : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  override *namedChildren(): IterableIterator<[string, Module]> {
    yield* this.items;
  }
  override registerModule<M extends Module | null>(name: string, m: M): M {
    if (m === null) throw new Error('ModuleDict: a child cannot be null');
    this.set(name, m);
    return m;
  }

  /** Number of modules. */
  get size(): number {
    return this.items.size;
  }
  /** The module under `key`; throws if there is none. */
  get(key: string): Module {
    const m = this.items.get(key);
    if (!m) throw new Error(`ModuleDict: no module under '${key}' (keys: ${[...this.items.keys()].join(', ')})`);
    return m;
  }
  /** Whether a module is stored under `key`. */
  has(key: string): boolean {
    return this.items.has(key);
  }
  /** Adds or replaces the module under `key` (a replaced key keeps its position). */
  set(key: string, m: Module): this {
    this.items.set(checkKey('ModuleDict', key), checkModule('ModuleDict', m, `'${key}'`));
    return this;
  }
  /** Removes and returns the module under `key` (not disposed). */
  pop(key: string): Module {
    const m = this.get(key);
    this.items.delete(key);
    return m;
  }
  /** Keys, in insertion order. */
  keys(): IterableIterator<string> {
    return this.items.keys();
  }
  /** Modules, in insertion order. */
  values(): IterableIterator<Module> {
    return this.items.values();
  }
  /** `[key, module]` pairs, in insertion order. */
  entries(): IterableIterator<[string, Module]> {
    return this.items.entries();
  }
  [Symbol.iterator](): IterableIterator<[string, Module]> {
    return this.items.entries();
  }
}
