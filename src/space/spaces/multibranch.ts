/**
 * The global multi-branch space (Zoph & Le 2017, Fig. 7): the chain space's layers (op type,
 * kernel, filters, stride; see `chain.ts`), and each layer i >= 2 also chooses which earlier layers
 * (0..i-2) feed it as skip inputs, besides its predecessor. A global `merge` decision says how:
 * `concat` (channels concatenated) or `sum` (a skip whose channels differ from the predecessor's
 * gets a 1x1 conv + BN projection). Skip inputs from larger feature maps are resized to the
 * predecessor's size by adaptive average pooling.
 *
 * Text form: `merge|layer,layer,...`, each layer `type-kernel-filters-stride` followed by `+j`
 * for each skip input j, e.g. `sum|conv-3-32-1,sep-5-64-2,max-3-16-2+0,conv-1-128-1+0+1,avg-3-16-1,sep-3-64-1+2`.
 * @module
 */
import type { Architecture } from '../architecture.js';
import { type Decision, type Value, categorical, inputChoice } from '../decisions.js';
import { GraphBuilder, type NetGraph } from '../graph/graph.js';
import { ArchitectureError, DecisionSpace, type NetworkOptions } from '../space.js';
import {
  CHAIN_FILTERS,
  CHAIN_KERNELS,
  CHAIN_STRIDES,
  CHAIN_TYPES,
  type ChainLayer,
  chainConfig,
  chainLayerAt,
  chainLayerGraph,
  classifierHead,
  formatLayer,
  layerChannels,
  parseLayer,
} from './chain.js';

export const MULTIBRANCH_MERGES = ['concat', 'sum'] as const;
export type MultiBranchMerge = (typeof MULTIBRANCH_MERGES)[number];

/** A layer with its skip inputs (indices of earlier layers). */
export interface BranchLayer extends ChainLayer {
  skips: number[];
}

/** Spatial size and channels of every layer's output, and each layer's input channels. */
export interface BranchShapes {
  /** [channels, height, width] of layer i's output. */
  out: [number, number, number][];
  /** Channels entering layer i's op (after merging). */
  cin: number[];
}

export class MultiBranchSpace extends DecisionSpace {
  readonly name: string;
  readonly description: string;
  readonly depth: number;

  constructor(depth = 6, name = 'multibranch') {
    const ds: Decision[] = [categorical('merge', MULTIBRANCH_MERGES)];
    for (let i = 0; i < depth; i++) {
      ds.push(categorical(`type${i}`, CHAIN_TYPES), categorical(`kernel${i}`, CHAIN_KERNELS), categorical(`filters${i}`, CHAIN_FILTERS), categorical(`stride${i}`, CHAIN_STRIDES));
      if (i >= 2)
        ds.push(
          inputChoice(
            `skip${i}`,
            Array.from({ length: i - 1 }, (_, j) => j),
            { min: 0 },
          ),
        );
    }
    super(ds);
    this.depth = depth;
    this.name = name;
    this.description = `global multi-branch space (Zoph & Le 2017): ${depth} chain layers, each also reading any earlier layers as skip inputs (concat or sum)`;
  }

  merge(arch: Architecture): MultiBranchMerge {
    this.own(arch);
    return arch.values.merge as MultiBranchMerge;
  }

  layers(arch: Architecture): BranchLayer[] {
    this.own(arch);
    const v = arch.values;
    return Array.from({ length: this.depth }, (_, i) => ({
      ...chainLayerAt(v, i),
      skips: i >= 2 ? [...(v[`skip${i}`] as readonly number[])] : [],
    }));
  }

  fromLayers(merge: string, layers: readonly BranchLayer[]): Architecture {
    if (layers.length !== this.depth) throw new ArchitectureError(`${this.name}: expected ${this.depth} layers, got ${layers.length}`);
    const v: Record<string, Value> = { merge };
    layers.forEach((l, i) => {
      v[`type${i}`] = l.type;
      v[`kernel${i}`] = l.kernel;
      v[`filters${i}`] = l.filters;
      v[`stride${i}`] = l.stride;
      if (i >= 2) v[`skip${i}`] = l.skips;
      else if (l.skips.length) throw new ArchitectureError(`${this.name}: layer ${i} cannot take skip inputs (layer i reads layers 0..i-2)`);
    });
    return this.arch(v);
  }

  override parse(text: string): Architecture {
    if (typeof text !== 'string') throw new ArchitectureError(`${this.name}: expected an architecture string`);
    const s = text.trim();
    if (s.startsWith('{')) return super.parse(s);
    const bar = s.indexOf('|');
    if (bar < 0) throw new ArchitectureError(`${this.name}: '${text}' lacks the merge prefix (expected concat|... or sum|...)`);
    const merge = s.slice(0, bar);
    if (!(MULTIBRANCH_MERGES as readonly string[]).includes(merge)) throw new ArchitectureError(`${this.name}: unknown merge '${merge}' (concat or sum)`);
    const parts = s.slice(bar + 1).split(',');
    if (parts.length !== this.depth) throw new ArchitectureError(`${this.name}: '${text}' has ${parts.length} layer(s), need ${this.depth} (joined by ',')`);
    const layers = parts.map((p, i): BranchLayer => {
      const [layer, ...skips] = p.trim().split('+');
      const l = parseLayer(this.name, layer, i);
      const idx = skips.map((x) => {
        if (!/^\d+$/.test(x)) throw new ArchitectureError(`${this.name}: layer ${i}: skip input '+${x}' is not a layer index`);
        const j = Number(x);
        if (j > i - 2) throw new ArchitectureError(`${this.name}: layer ${i}: skip input ${j} is not an earlier layer other than its predecessor (allowed: ${i >= 2 ? `0..${i - 2}` : 'none'})`);
        return j;
      });
      return { ...l, skips: idx };
    });
    return this.fromLayers(merge, layers);
  }

  override format(arch: Architecture): string {
    return `${this.merge(arch)}|${this.layers(arch)
      .map((l) => formatLayer(l) + l.skips.map((j) => `+${j}`).join(''))
      .join(',')}`;
  }

  /** Pools ignore `filters`: the canonical form sets it to 16. */
  override canonicalize(arch: Architecture): Architecture {
    return this.fromLayers(
      this.merge(arch),
      this.layers(arch).map((l) => (l.type === 'max' || l.type === 'avg' ? { ...l, filters: CHAIN_FILTERS[0] } : l)),
    );
  }

  /** Output shapes and merged input channels of every layer, for an input shape and base width. */
  shapes(arch: Architecture, input: readonly [number, number, number], channels: number): BranchShapes {
    const merge = this.merge(arch);
    const out: [number, number, number][] = [];
    const cin: number[] = [];
    let prev: [number, number, number] = [...input];
    for (const [i, l] of this.layers(arch).entries()) {
      const c = merge === 'concat' ? prev[0] + l.skips.reduce((n, j) => n + out[j][0], 0) : prev[0];
      cin.push(c);
      const h = Math.ceil(prev[1] / l.stride);
      const w = Math.ceil(prev[2] / l.stride);
      const co = layerChannels(l, c, channels);
      out.push([co, h, w]);
      prev = out[i];
    }
    return { out, cin };
  }

  /**
   * The network as a typed graph. Layer i's input merges its predecessor with its skip inputs,
   * each resized to the predecessor's height and width by adaptive average pooling
   * (`resize.<i>_<j>`) where it is larger: `concat` concatenates them (`merges.<i>`); `sum` adds
   * them, a skip whose channels differ first projected by a 1x1 conv (`projections.<i>_<j>.conv`)
   * and BN (`.bn`). Then the chain layer `layers.<i>` (`chainLayerGraph`), global average pooling
   * and the `classifier`.
   */
  override graph(arch: Architecture, o: NetworkOptions = {}): NetGraph {
    const cfg = chainConfig(this.name, o);
    const merge = this.merge(arch);
    const g = new GraphBuilder(cfg.input, this.name);
    const outs: number[] = [];
    let prev = g.input;
    this.layers(arch).forEach((l, i) => {
      const [c, h, w] = g.shape(prev);
      const skips = l.skips.map((j) => {
        let s = outs[j];
        const [cs, hs, ws] = g.shape(s);
        if (hs !== h || ws !== w) s = g.add('adaptive_avg_pool', s, { size: [h, w] }, `resize.${i}_${j}`);
        if (merge === 'sum' && cs !== c) {
          s = g.chain(s, [
            ['conv', { out: c, k: 1 }, `projections.${i}_${j}.conv`],
            ['bn', {}, `projections.${i}_${j}.bn`],
          ]);
        }
        return s;
      });
      const input = skips.length ? g.add(merge === 'sum' ? 'add' : 'concat', [prev, ...skips], {}, `merges.${i}`) : prev;
      prev = chainLayerGraph(g, input, l, cfg.channels, `layers.${i}`);
      outs.push(prev);
    });
    return classifierHead(g, prev, cfg.classes);
  }
}

/** The shared instance (6 layers). */
export const multibranch = new MultiBranchSpace();
