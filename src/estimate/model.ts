/**
 * A trained model as Loom saves it, loaded back for use: the weights file that a search's final
 * retraining, `loom train --out` or any trial with `saveTo` writes (`model.safetensors`, which
 * carries its architecture and network options in its metadata), the `data.json` beside it (the
 * inputs it expects: shape, classes in output order, feature columns, normalisation) and, for a
 * user-defined space, the `space.json` copy of that space.
 *
 * ```ts
 * const m = loadModel('loom-demo');              // a search's --out folder, or a .safetensors file
 * const p = m.classify(images);                  // images [N, 1, 28, 28] in [0, 1], as loadDataset's before normalising
 * // p[0]: { index: 7, label: 'Sneaker', probability: 0.98 }
 * m.dispose();
 * ```
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { F, type Tensor, type TensorMap, cat, dispose, loadSafetensors, noGrad, tidy } from '../engine/index.js';
import type { nn } from '../engine/index.js';
import { normalize } from '../data/augment.js';
import type { ModelData } from '../data/datasets.js';
import type { Architecture } from '../space/architecture.js';
import { compileGraph } from '../space/networks/index.js';
import { getSpace } from '../space/registry.js';
import type { NetworkOptions, SearchSpace } from '../space/space.js';
import { UserSpace } from '../space/user/space.js';
import { isDir } from '../util/fs.js';
import { ARCH_METADATA_KEY } from './inherit.js';

/** Metadata key of the network options (input, classes, channels, cells) in a saved model's weights file. */
export const NETWORK_METADATA_KEY = 'loom.network';

/** A saved model that cannot be loaded or used: the message says which file and what to do. */
export class ModelFileError extends Error {
  readonly code = 'LOOM_BAD_MODEL';
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/** One input's prediction. */
export interface Prediction {
  /** Class index (the network's output). */
  index: number;
  /** The class's name from `data.json` (its index as text without one). */
  label: string;
  probability: number;
  /** With `top` k > 1: the k most likely classes, the first this one, by falling probability. */
  top?: { index: number; label: string; probability: number }[];
}

/** A model loaded by {@link loadModel}. The caller disposes it. */
export interface SavedModel {
  /** The network, in eval mode, with the saved weights. */
  readonly net: nn.Module;
  readonly arch: Architecture;
  readonly space: SearchSpace;
  /** What the network was built with (input shape, classes, channels, cells). */
  readonly network: NetworkOptions;
  /** `data.json`: the inputs it expects; null when there is none beside the weights. */
  readonly data: ModelData | null;
  /** The weights file read. */
  readonly file: string;
  /**
   * Class probabilities `[N, classes]` of raw inputs: `[N, ...inputShape]` (images also `[N, H, W]`
   * for one channel) in the units `loadDataset` gives before normalising (images in [0, 1], a
   * table's features as in the file); the normalisation of `data.json` is applied here. Float32,
   * evaluated in batches without gradients; the caller disposes the result.
   */
  probabilities(inputs: Tensor, opts?: { batchSize?: number }): Tensor;
  /** {@link probabilities}, each input's most likely class (and with `top` k > 1, its k most likely). */
  classify(inputs: Tensor, opts?: { batchSize?: number; top?: number }): Prediction[];
  dispose(): void;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ModelFileError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(e as Error).message})`}`);
  }
}

/**
 * The space a saved architecture belongs to: `given`, else the `space.json` beside the weights when
 * it defines that space (the copy a search or `loom train` keeps of a user-defined space, exactly
 * as the model was trained in it), else a built-in, registered or packaged space of that name.
 */
function spaceOf(name: string, dir: string, given?: SearchSpace | string): SearchSpace {
  if (given !== undefined) return typeof given === 'string' ? getSpace(given) : given;
  const copy = join(dir, 'space.json');
  if (existsSync(copy)) {
    const spec = readJson(copy) as { name?: unknown };
    if (spec && typeof spec === 'object' && spec.name === name) {
      try {
        return new UserSpace(spec as ConstructorParameters<typeof UserSpace>[0], copy);
      } catch (e) {
        throw new ModelFileError(`${copy}: ${(e as Error).message}`);
      }
    }
  }
  try {
    return getSpace(name);
  } catch {
    throw new ModelFileError(
      `the model's space '${name}' is neither a built-in or packaged space nor defined by a space.json beside the weights (${copy}); copy the space's JSON file there as space.json`,
    );
  }
}

/** Checks that `data.json` has what {@link SavedModel.probabilities} needs. */
function checkModelData(d: unknown, path: string): ModelData {
  const m = d as Partial<ModelData>;
  const bad = (what: string) => new ModelFileError(`${path}: ${what}; it is written with the weights by a search's final retraining or loom train --out`);
  if (!m || typeof m !== 'object') throw bad('not an object');
  if (!Array.isArray(m.inputShape) || !m.inputShape.every((v) => Number.isInteger(v) && v > 0)) throw bad('no valid inputShape');
  if (!Array.isArray(m.classes) || m.classes.length < 2) throw bad('no list of classes');
  if (m.normalization !== null && m.normalization !== undefined) {
    const { mean, std } = m.normalization;
    const n = m.inputShape[0];
    if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== n || std.length !== n || !std.every((s) => s > 0)) {
      throw bad(`normalization must hold ${n} mean(s) and ${n} positive std(s)`);
    }
  }
  return { ...m, normalization: m.normalization ?? null } as ModelData;
}

/**
 * Loads a saved model: `path` is a folder holding `model.safetensors` (a search's or `loom
 * train`'s `--out`) or a weights file itself; `data.json` and `space.json` are read from the same
 * folder. `opts.space` names or gives the space instead (a worker that has it already);
 * `opts.data: false` leaves `data.json` unread (`data` is then null), for a caller that only
 * evaluates the network on data it has normalised itself.
 * @throws ModelFileError when a file is missing, is not a Loom model, or does not fit its architecture.
 */
export function loadModel(path: string, opts: { space?: SearchSpace | string; data?: boolean } = {}): SavedModel {
  const folder = isDir(path);
  const file = folder ? join(path, 'model.safetensors') : path;
  const dir = folder ? path : dirname(path);
  if (!existsSync(file)) {
    throw new ModelFileError(
      folder
        ? `${path}: no model.safetensors in this folder; give the output folder of a search (its final model) or of loom train --out, or a weights file`
        : `${path}: no such file`,
    );
  }
  let weights: TensorMap;
  try {
    weights = loadSafetensors(file);
  } catch (e) {
    throw new ModelFileError((e as Error).message);
  }
  try {
    const archText = weights.metadata[ARCH_METADATA_KEY];
    if (archText === undefined) {
      throw new ModelFileError(`${file}: a safetensors file, but not a Loom model: no architecture in its metadata ('${ARCH_METADATA_KEY}')`);
    }
    let archJson: { space?: unknown };
    let network: NetworkOptions;
    try {
      archJson = JSON.parse(archText);
      network = JSON.parse(weights.metadata[NETWORK_METADATA_KEY] ?? '{}');
    } catch (e) {
      throw new ModelFileError(`${file}: its metadata is damaged (${(e as Error).message})`);
    }
    if (typeof archJson?.space !== 'string') throw new ModelFileError(`${file}: its architecture names no space`);
    const space = spaceOf(archJson.space, dir, opts.space);
    let arch: Architecture;
    let net: nn.Module;
    try {
      arch = space.fromJSON(archJson as Parameters<SearchSpace['fromJSON']>[0]);
      // Compiled from this space itself (not looked up by name), so a space.json copy needs no registering.
      if (!space.graph) throw new Error(`no network builder for space '${space.name}'`);
      net = compileGraph(space.graph(arch, network));
    } catch (e) {
      throw new ModelFileError(`${file}: its architecture does not fit space '${space.name}': ${(e as Error).message}`);
    }
    try {
      net.loadStateDict(weights);
    } catch (e) {
      net.dispose();
      throw new ModelFileError(`${file}: the weights do not fit the network of its architecture: ${(e as Error).message}`);
    }
    net.eval();
    const dataFile = join(dir, 'data.json');
    const data = opts.data !== false && existsSync(dataFile) ? checkModelData(readJson(dataFile), dataFile) : null;
    return makeModel(net, arch, space, network, data, file);
  } finally {
    dispose([...weights.values()]);
  }
}

function makeModel(net: nn.Module, arch: Architecture, space: SearchSpace, network: NetworkOptions, data: ModelData | null, file: string): SavedModel {
  const probabilities = (inputs: Tensor, o: { batchSize?: number } = {}): Tensor => {
    if (!data) throw new ModelFileError(`${file}: no data.json beside it, so the inputs' shape and normalisation are unknown`);
    const want = data.inputShape;
    let x = inputs;
    // One-channel images may come without their channel axis.
    if (want.length === 3 && want[0] === 1 && x.shape.length === 3) x = x.unsqueeze(1);
    const got = x.shape.slice(1);
    if (x.shape.length !== want.length + 1 || got.some((v, i) => v !== want[i])) {
      if (x !== inputs) x.dispose();
      throw new ModelFileError(
        `the model takes inputs of shape [${want.join(', ')}] (${data.kind === 'tabular' ? `${want[0]} features` : 'channels, height, width'}); these are [${inputs.shape.slice(1).join(', ')}]`,
      );
    }
    const n = x.shape[0];
    const batch = o.batchSize ?? 1000;
    const parts: Tensor[] = [];
    try {
      noGrad(() => {
        for (let i = 0; i < n; i += batch) {
          parts.push(
            tidy(() => {
              let b = x.narrow(0, i, Math.min(batch, n - i)).float();
              if (data.normalization) b = normalize(b, data.normalization.mean, data.normalization.std);
              return F.softmax((net.call(b) as Tensor).float(), 1);
            }),
          );
        }
      });
      return parts.length === 1 ? parts[0] : cat(parts, 0);
    } finally {
      if (parts.length > 1) dispose(parts);
      if (x !== inputs) x.dispose();
    }
  };
  return {
    net,
    arch,
    space,
    network,
    data,
    file,
    probabilities,
    classify(inputs, o = {}) {
      const top = o.top ?? 1;
      if (!(Number.isSafeInteger(top) && top >= 1)) throw new RangeError(`top must be a positive integer, got ${top}`);
      const p = probabilities(inputs, o);
      try {
        const label = (k: number) => data?.classes[k] ?? String(k);
        if (top > 1) {
          const [n, classes] = p.shape;
          const all = p.data() as Float32Array; // float32, as probabilities gives them
          return Array.from({ length: n }, (_, i) => {
            const row = all.subarray(i * classes, (i + 1) * classes);
            const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
            const best = order.slice(0, Math.min(top, classes)).map((k) => ({ index: k, label: label(k), probability: row[k] }));
            return { ...best[0], top: best };
          });
        }
        const [values, indices] = p.maxWithIndices(1);
        const best = values.dataSync();
        const index = indices.dataSync();
        dispose([values, indices]);
        return index.map((k, i) => ({ index: k, label: label(k), probability: best[i] }));
      } finally {
        p.dispose();
      }
    },
    dispose() {
      net.dispose();
    },
  };
}

/**
 * The text of `space.json`, the copy of a user-defined space kept beside a model's weights so that
 * {@link loadModel} rebuilds it from the space it was trained in (the space's file may change or
 * move later); null for a built-in space, which Loom always knows.
 */
export function spaceCopy(space: SearchSpace): string | null {
  return space instanceof UserSpace ? `${JSON.stringify({ ...space.spec, name: space.name }, null, 2)}\n` : null;
}
