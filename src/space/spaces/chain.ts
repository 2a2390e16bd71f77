/**
 * A global chain-structured space in the spirit of MetaQNN (Baker et al. 2017) and Zoph & Le
 * (2017): a plain stack of L layers (default 6), each choosing its op type (`conv`: conv-BN-ReLU;
 * `sep`: depthwise-separable conv, i.e. depthwise kxk + pointwise 1x1, then BN-ReLU; `max`/`avg`:
 * pooling), kernel size (1, 3, 5), filters (16, 32, 64, 128; scaled by `channels / 16`) and stride
 * (1, 2). Padding is k//2, so a layer maps HxW to ceil(H/s)xceil(W/s). Then global average pooling
 * and a linear classifier. Pools keep their input's channels: their `filters` decision is ignored,
 * and the canonical form sets it to 16, so two chains that differ only there are isomorphic.
 *
 * Text form: layers joined by `,`, each `type-kernel-filters-stride`, e.g.
 * `conv-3-32-1,sep-5-64-2,max-3-16-2,conv-1-128-1,avg-3-16-1,sep-3-64-1`.
 * @module
 */
import type { Architecture } from '../architecture.js';
import { type Decision, type Value, categorical } from '../decisions.js';
import { GraphBuilder, type NetGraph } from '../graph/graph.js';
import { ArchitectureError, DecisionSpace, type NetworkOptions, checkWidthAndClasses, imageInput } from '../space.js';

export const CHAIN_TYPES = ['conv', 'sep', 'max', 'avg'] as const;
export type ChainType = (typeof CHAIN_TYPES)[number];
export const CHAIN_KERNELS = [1, 3, 5] as const;
export const CHAIN_FILTERS = [16, 32, 64, 128] as const;
export const CHAIN_STRIDES = [1, 2] as const;

/** One layer of a chain. */
export interface ChainLayer {
  type: ChainType;
  kernel: number;
  filters: number;
  stride: number;
}

/** Network settings with the defaults filled in. */
export interface ChainConfig {
  input: [number, number, number];
  classes: number;
  /** Width of the smallest filter choice (16): filters are scaled by channels / 16. */
  channels: number;
}

export function chainConfig(name: string, o: NetworkOptions = {}): ChainConfig {
  const c: ChainConfig = { input: imageInput(name, o.input), classes: o.classes ?? 10, channels: o.channels ?? 16 };
  checkWidthAndClasses(name, c, o);
  return c;
}

/** Output channels of a conv layer with `filters` (of the 16..128 grid) at base width `channels`. */
export const scaledFilters = (filters: number, channels: number): number => Math.max(1, Math.round((filters * channels) / 16));

/** Output channels of layer `l` on `cin` input channels at base width `channels` (pools keep theirs). */
export const layerChannels = (l: ChainLayer, cin: number, channels: number): number => (l.type === 'max' || l.type === 'avg' ? cin : scaledFilters(l.filters, channels));

/**
 * Adds layer `l` reading node `x` to a graph, its modules named `name` (a sep layer's two
 * convolutions `name.depthwise` and `name.pointwise`); returns its output node. Padding is k//2,
 * so the layer maps HxW to ceil(H/s)xceil(W/s). `conv` is conv-BN-ReLU; `sep` a depthwise kxk conv
 * (no bias) then a pointwise 1x1 conv-BN-ReLU; pools do not count padding in averages.
 */
export function chainLayerGraph(g: GraphBuilder, x: number, l: ChainLayer, channels: number, name: string): number {
  const { kernel: k, stride } = l;
  const pad = (k - 1) / 2;
  const cout = layerChannels(l, g.channels(x), channels);
  switch (l.type) {
    case 'max':
      return g.add('max_pool', x, { k, stride, pad }, name);
    case 'avg':
      return g.add('avg_pool', x, { k, stride, pad, countPad: false }, name);
    case 'conv':
      return g.add('conv_bn_act', x, { out: cout, k, stride }, name);
    case 'sep': {
      const dw = g.add('conv', x, { out: g.channels(x), k, stride, groups: g.channels(x) }, `${name}.depthwise`);
      return g.add('conv_bn_act', dw, { out: cout, k: 1 }, `${name}.pointwise`);
    }
  }
}

/** Global average pooling and the linear `classifier` after node `x`; the finished graph. */
export function classifierHead(g: GraphBuilder, x: number, classes: number): NetGraph {
  const y = g.chain(x, [
    ['global_avg_pool', {}, 'global_pool'],
    ['linear', { out: classes }, 'classifier'],
  ]);
  return g.output('logits', y).build();
}

const decisionsFor = (i: number): Decision[] => [
  categorical(`type${i}`, CHAIN_TYPES),
  categorical(`kernel${i}`, CHAIN_KERNELS),
  categorical(`filters${i}`, CHAIN_FILTERS),
  categorical(`stride${i}`, CHAIN_STRIDES),
];

/** Parses and formats one layer `type-kernel-filters-stride`. */
export function parseLayer(name: string, s: string, i: number): ChainLayer {
  const fail = (why: string): never => {
    throw new ArchitectureError(`${name}: layer ${i} '${s}': ${why} (expected type-kernel-filters-stride, e.g. conv-3-32-1; types ${CHAIN_TYPES.join('|')}, kernels ${CHAIN_KERNELS.join('|')}, filters ${CHAIN_FILTERS.join('|')}, strides ${CHAIN_STRIDES.join('|')})`);
  };
  const parts = s.trim().split('-');
  if (parts.length !== 4) fail(`has ${parts.length} field(s), need 4`);
  const [type, k, f, st] = parts;
  if (!(CHAIN_TYPES as readonly string[]).includes(type)) fail(`unknown op type '${type}'`);
  const num = (x: string, what: string, allowed: readonly number[]) => {
    if (!/^\d+$/.test(x) || !allowed.includes(Number(x))) fail(`${what} '${x}' is not one of ${allowed.join(', ')}`);
    return Number(x);
  };
  return { type: type as ChainType, kernel: num(k, 'kernel', CHAIN_KERNELS), filters: num(f, 'filters', CHAIN_FILTERS), stride: num(st, 'stride', CHAIN_STRIDES) };
}
export const formatLayer = (l: ChainLayer): string => `${l.type}-${l.kernel}-${l.filters}-${l.stride}`;

/** Layer `i` of a chain-structured architecture's values (shared with the multi-branch space). */
export function chainLayerAt(v: Readonly<Record<string, unknown>>, i: number): ChainLayer {
  return {
    type: v[`type${i}`] as ChainType,
    kernel: v[`kernel${i}`] as number,
    filters: v[`filters${i}`] as number,
    stride: v[`stride${i}`] as number,
  };
}

/** The chain-structured space with `depth` layers. */
export class ChainSpace extends DecisionSpace {
  readonly name: string;
  readonly description: string;
  readonly depth: number;

  constructor(depth = 6, name = 'chain') {
    super(Array.from({ length: depth }, (_, i) => decisionsFor(i)).flat());
    this.depth = depth;
    this.name = name;
    this.description = `global chain-structured space (MetaQNN-style): ${depth} layers, each conv|sep|max|avg, kernel 1|3|5, filters 16..128, stride 1|2`;
  }

  layers(arch: Architecture): ChainLayer[] {
    this.own(arch);
    return Array.from({ length: this.depth }, (_, i) => chainLayerAt(arch.values, i));
  }

  fromLayers(layers: readonly ChainLayer[]): Architecture {
    if (layers.length !== this.depth) throw new ArchitectureError(`${this.name}: expected ${this.depth} layers, got ${layers.length}`);
    const v: Record<string, Value> = {};
    layers.forEach((l, i) => {
      v[`type${i}`] = l.type;
      v[`kernel${i}`] = l.kernel;
      v[`filters${i}`] = l.filters;
      v[`stride${i}`] = l.stride;
    });
    return this.arch(v);
  }

  override parse(text: string): Architecture {
    if (typeof text !== 'string') throw new ArchitectureError(`${this.name}: expected a layer string`);
    const s = text.trim();
    if (s.startsWith('{')) return super.parse(s);
    if (!s) throw new ArchitectureError(`${this.name}: empty architecture string (expected ${this.depth} layers like conv-3-32-1 joined by ',')`);
    const parts = s.split(',');
    if (parts.length !== this.depth) throw new ArchitectureError(`${this.name}: '${text}' has ${parts.length} layer(s), need ${this.depth} (joined by ',')`);
    return this.fromLayers(parts.map((p, i) => parseLayer(this.name, p, i)));
  }

  override format(arch: Architecture): string {
    return this.layers(arch).map(formatLayer).join(',');
  }

  /** Pools ignore `filters`: the canonical form sets it to 16. */
  override canonicalize(arch: Architecture): Architecture {
    return this.fromLayers(this.layers(arch).map((l) => (l.type === 'max' || l.type === 'avg' ? { ...l, filters: CHAIN_FILTERS[0] } : l)));
  }

  /** The network as a typed graph: `layers.<i>` in order (see {@link chainLayerGraph}), global average pooling, `classifier`. */
  override graph(arch: Architecture, o: NetworkOptions = {}): NetGraph {
    const cfg = chainConfig(this.name, o);
    const g = new GraphBuilder(cfg.input, this.name);
    let x = g.input;
    this.layers(arch).forEach((l, i) => {
      x = chainLayerGraph(g, x, l, cfg.channels, `layers.${i}`);
    });
    return classifierHead(g, x, cfg.classes);
  }
}

/** The shared instance (6 layers). */
export const chain = new ChainSpace();
