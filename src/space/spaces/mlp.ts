/**
 * A space of multi-layer perceptrons for tabular data: a feature vector `[F]` (a CSV row) goes
 * through 1 to 4 hidden layers and a linear classifier. The decisions:
 * - `depth`: the number of hidden layers, 1 to 4 (a repeat count, so mutation adds or removes one);
 * - `width0`..`width3`: each hidden layer's width, 16, 32, 64, 128, 256 or 512 (scaled by
 *   `channels / 64`); only the first `depth` are used;
 * - `act`: the activation of every hidden layer, relu, gelu, swish (SiLU) or tanh;
 * - `norm`: batch norm after each hidden linear layer (`bn`) or none;
 * - `dropout`: dropout probability after each hidden layer, 0 (no dropout layer), 0.1, 0.2, 0.3 or 0.5.
 *
 * Widths of layers at or beyond `depth` do not reach the network: the canonical form sets them to
 * 16, so two architectures that differ only there are isomorphic, mutation never changes only
 * them, and {@link MlpSpace.neighbours} leaves such changes out. So there are
 * 4 * 6^4 * 4 * 2 * 5 = 207,360 assignments but (6 + 36 + 216 + 1296) * 4 * 2 * 5 = 62,160
 * distinct networks ({@link MlpSpace.uniqueCount}).
 *
 * Text form: the used widths joined by `-` (their number is the depth), then the activation, the
 * norm and the dropout, joined by `:`, e.g. `256-128:relu:bn:0.1` or `64:tanh:none:0`. It names
 * the network, not the unused widths: parsing a formatted architecture gives its canonical form.
 *
 * The network ({@link MlpSpace.graph}): for each hidden layer i, `layers.<i>.linear` (no bias
 * when batch norm follows, as convolutions before BN in the other spaces), `layers.<i>.bn`
 * (BatchNorm1d) with norm `bn`, `layers.<i>.act`, and `layers.<i>.dropout` when the dropout is
 * above 0; then the linear `classifier`. An image input `[C, H, W]` is flattened first (`flatten`),
 * so the space also gives the classic MLP baseline on MNIST-like data.
 *
 * Options ({@link mlpConfig}): `input` `[F]` (default `[16]`) or `[C, H, W]`, `classes` (default
 * 10), `channels` (default 64: widths are scaled by channels / 64, rounded, at least 1). It has no
 * cells.
 * @module
 */
import type { Architecture } from '../architecture.js';
import { type Decision, type Value, categorical, repeat } from '../decisions.js';
import { GraphBuilder, type NetGraph } from '../graph/graph.js';
import type { Activation } from '../graph/ops.js';
import { ArchitectureError, DecisionSpace, type NetworkOptions, checkWidthAndClasses } from '../space.js';

/** Hidden-layer widths (at `channels` 64). */
export const MLP_WIDTHS = [16, 32, 64, 128, 256, 512] as const;
/** Activations (names of the `act` op's `fn`; `swish` is SiLU). */
export const MLP_ACTIVATIONS = ['relu', 'gelu', 'swish', 'tanh'] as const satisfies readonly Activation[];
export type MlpActivation = (typeof MLP_ACTIVATIONS)[number];
/** Normalisation after each hidden linear layer. */
export const MLP_NORMS = ['none', 'bn'] as const;
export type MlpNorm = (typeof MLP_NORMS)[number];
/** Dropout probabilities after each hidden layer (0: no dropout layer). */
export const MLP_DROPOUTS = [0, 0.1, 0.2, 0.3, 0.5] as const;
/** The most hidden layers of the shared instance. */
export const MLP_MAX_DEPTH = 4;

/** An architecture in the text form, for error messages. */
const EXAMPLE = '256-128:relu:bn:0.1';

/** What an MLP architecture says: the widths of its hidden layers (their number is the depth), and the rest. */
export interface MlpSpec {
  widths: readonly number[];
  act: MlpActivation;
  norm: MlpNorm;
  dropout: number;
}

/** Network settings with the defaults filled in. */
export interface MlpConfig {
  /** `[F]` features, or an image `[C, H, W]` (flattened first). */
  input: [number] | [number, number, number];
  classes: number;
  /** Widths are scaled by channels / 64. */
  channels: number;
}

/** Fills in the defaults (input `[16]`, 10 classes, channels 64) and checks them (throws {@link ArchitectureError}, also for `cells`). */
export function mlpConfig(o: NetworkOptions = {}, name = 'mlp'): MlpConfig {
  const posInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
  const input = o.input ?? [16];
  if (!Array.isArray(input) || (input.length !== 1 && input.length !== 3) || !input.every(posInt))
    throw new ArchitectureError(`${name}: input must be a feature vector [F] or an image [C, H, W] of positive integers, got ${Array.isArray(input) ? `[${input.join(', ')}]` : String(input)}`);
  const c: MlpConfig = { input, classes: o.classes ?? 10, channels: o.channels ?? 64 };
  checkWidthAndClasses(name, c, o);
  return c;
}

/** Width of a hidden layer of `width` (of the 16..512 grid) at base width `channels` (64 keeps it). */
export const mlpWidth = (width: number, channels: number): number => Math.max(1, Math.round((width * channels) / 64));

/** Writes the text form of a spec, e.g. `256-128:relu:bn:0.1`. */
export const formatMlp = (s: MlpSpec): string => `${s.widths.join('-')}:${s.act}:${s.norm}:${s.dropout}`;

/** The MLP space with at most `maxDepth` hidden layers (see the module comment). */
export class MlpSpace extends DecisionSpace {
  readonly name: string;
  readonly description: string;
  readonly maxDepth: number;

  constructor(maxDepth = MLP_MAX_DEPTH, name = 'mlp') {
    if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) throw new Error(`${name}: maxDepth must be a positive integer, got ${maxDepth}`);
    const decisions: Decision[] = [
      repeat('depth', 1, maxDepth),
      ...Array.from({ length: maxDepth }, (_, i) => categorical(`width${i}`, MLP_WIDTHS)),
      categorical('act', MLP_ACTIVATIONS),
      categorical('norm', MLP_NORMS),
      categorical('dropout', MLP_DROPOUTS),
    ];
    super(decisions);
    this.maxDepth = maxDepth;
    this.name = name;
    this.description = `multi-layer perceptron for tabular data (feature vectors; images are flattened): 1..${maxDepth} hidden layers, each ${MLP_WIDTHS[0]}..${MLP_WIDTHS[MLP_WIDTHS.length - 1]} wide, activation ${MLP_ACTIVATIONS.join('|')}, batch norm ${MLP_NORMS.join('|')}, dropout ${MLP_DROPOUTS.join('|')}`;
  }

  /** What `arch` says, with only the used widths. */
  spec(arch: Architecture): MlpSpec {
    this.own(arch);
    const v = arch.values;
    const depth = v.depth as number;
    return {
      widths: Array.from({ length: depth }, (_, i) => v[`width${i}`] as number),
      act: v.act as MlpActivation,
      norm: v.norm as MlpNorm,
      dropout: v.dropout as number,
    };
  }

  /** The (canonical) architecture of a spec: unused widths are set to 16. */
  fromSpec(s: MlpSpec): Architecture {
    const n = s.widths.length;
    if (n < 1 || n > this.maxDepth) throw new ArchitectureError(`${this.name}: expected 1 to ${this.maxDepth} hidden layer widths, got ${n}`);
    const v: Record<string, Value> = { depth: n, act: s.act, norm: s.norm, dropout: s.dropout };
    for (let i = 0; i < this.maxDepth; i++) v[`width${i}`] = i < n ? s.widths[i] : MLP_WIDTHS[0];
    return this.arch(v);
  }

  /** Reads `<w1>-<w2>-...:<act>:<norm>:<dropout>` (e.g. `256-128:relu:bn:0.1`) or the JSON form (starting with `{`). */
  override parse(text: string): Architecture {
    if (typeof text !== 'string') throw new ArchitectureError(`${this.name}: expected an MLP string like ${EXAMPLE}`);
    const s = text.trim();
    if (s.startsWith('{')) return super.parse(s);
    const fail = (why: string): never => {
      throw new ArchitectureError(
        `${this.name}: '${text}': ${why} (expected widths:act:norm:dropout, e.g. ${EXAMPLE}: 1 to ${this.maxDepth} widths joined by '-', each ${MLP_WIDTHS.join('|')}; act ${MLP_ACTIVATIONS.join('|')}; norm ${MLP_NORMS.join('|')}; dropout ${MLP_DROPOUTS.join('|')})`,
      );
    };
    if (!s) fail('empty architecture string');
    const parts = s.split(':').map((p) => p.trim());
    if (parts.length !== 4) fail(`has ${parts.length} field(s) separated by ':', need 4`);
    const [w, act, norm, p] = parts;
    const ws = w.split('-').map((x) => x.trim());
    if (ws.length > this.maxDepth) fail(`has ${ws.length} hidden layers, at most ${this.maxDepth}`);
    const widths = ws.map((x, i) => {
      if (!/^\d+$/.test(x) || !(MLP_WIDTHS as readonly number[]).includes(Number(x))) fail(`width ${i} '${x}' is not one of ${MLP_WIDTHS.join(', ')}`);
      return Number(x);
    });
    if (!(MLP_ACTIVATIONS as readonly string[]).includes(act)) fail(`unknown activation '${act}'`);
    if (!(MLP_NORMS as readonly string[]).includes(norm)) fail(`unknown norm '${norm}'`);
    const dropout = Number(p);
    if (!/^(\d+\.?\d*|\.\d+)$/.test(p) || !(MLP_DROPOUTS as readonly number[]).includes(dropout)) fail(`dropout '${p}' is not one of ${MLP_DROPOUTS.join(', ')}`);
    return this.fromSpec({ widths, act: act as MlpActivation, norm: norm as MlpNorm, dropout });
  }

  override format(arch: Architecture): string {
    return formatMlp(this.spec(arch));
  }

  /** Unused widths (layers at or beyond `depth`) are set to 16. */
  override canonicalize(arch: Architecture): Architecture {
    return this.fromSpec(this.spec(arch));
  }

  /** Distinct networks: for each depth d, 6^d width choices, times the activations, norms and dropouts. */
  override uniqueCount(): number {
    let widths = 0;
    for (let d = 1; d <= this.maxDepth; d++) widths += MLP_WIDTHS.length ** d;
    return widths * MLP_ACTIVATIONS.length * MLP_NORMS.length * MLP_DROPOUTS.length;
  }

  /**
   * The architectures one decision away that are different networks: changes of unused widths
   * (which leave the network as it is) are left out, so local search does not spend evaluations
   * on them.
   */
  override neighbours(arch: Architecture): Architecture[] {
    return super.neighbours(arch).filter((n) => !this.isomorphic(n, arch));
  }

  /** The network as a typed graph (see the module comment). */
  override graph(arch: Architecture, o: NetworkOptions = {}): NetGraph {
    const cfg = mlpConfig(o, this.name);
    const s = this.spec(arch);
    const g = new GraphBuilder(cfg.input, this.name);
    let x = cfg.input.length === 1 ? g.input : g.add('flatten', g.input, {}, 'flatten');
    s.widths.forEach((w, i) => {
      x = g.scope(
        `layers.${i}`,
        () => {
          let y = g.add('linear', x, { out: mlpWidth(w, cfg.channels), bias: s.norm !== 'bn' }, 'linear');
          if (s.norm === 'bn') y = g.add('bn', y, {}, 'bn');
          y = g.add('act', y, { fn: s.act }, 'act');
          if (s.dropout > 0) y = g.add('dropout', y, { p: s.dropout }, 'dropout');
          return y;
        },
        `layer ${i}`,
      );
    });
    return g.output('logits', g.add('linear', x, { out: cfg.classes }, 'classifier')).build();
  }
}

/** The shared instance (1 to 4 hidden layers). */
export const mlp = new MlpSpace();
