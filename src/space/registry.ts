/**
 * The built-in search spaces, by name. A new space is a file in `spaces/` plus one line here. The
 * package's example spaces (user-defined JSON spaces in `examples/spaces/`) are known by name too.
 * @module
 */
import { existsSync } from 'node:fs';
import type { SearchSpace } from './space.js';
import { chain } from './spaces/chain.js';
import { darts } from './spaces/darts.js';
import { mlp } from './spaces/mlp.js';
import { mobilenet } from './spaces/mobilenet.js';
import { multibranch } from './spaces/multibranch.js';
import { nasnet } from './spaces/nasnet.js';
import { nb101 } from './spaces/nb101.js';
import { nb201 } from './spaces/nb201.js';
import { packageFile } from '../util/package.js';
import { loadSpaceFile } from './user/space.js';

const SPACES: ReadonlyMap<string, SearchSpace> = new Map<string, SearchSpace>([
  [nb201.name, nb201],
  [nb101.name, nb101],
  [chain.name, chain],
  [multibranch.name, multibranch],
  [darts.name, darts],
  [nasnet.name, nasnet],
  [mobilenet.name, mobilenet],
  [mlp.name, mlp],
]);

/** Names of the built-in spaces. */
export function spaceNames(): string[] {
  return [...SPACES.keys()];
}

/**
 * The example spaces the package ships (`examples/spaces/NAME.json`, user-defined JSON spaces),
 * known by name: `fmnist-net` is the demo's and `loom search`'s default space.
 */
export const PACKAGED_SPACES: readonly string[] = ['fmnist-net', 'fmnist-cnn'];

/** The file of a packaged example space, or null when `name` is none of them or the file is missing. */
export function packagedSpaceFile(name: string): string | null {
  if (!PACKAGED_SPACES.includes(name)) return null;
  const file = packageFile(`examples/spaces/${name}.json`);
  return existsSync(file) ? file : null;
}

/** User-defined spaces registered with {@link registerSpace} (or loaded by {@link getSpace} from a file), by name. */
const USER_SPACES = new Map<string, SearchSpace>();

/**
 * Makes a user-defined space known by its name (to `getSpace` and so to `buildNetwork`); a later
 * registration of the same name replaces it. The names of built-in spaces are refused.
 */
export function registerSpace(space: SearchSpace): SearchSpace {
  if (SPACES.has(space.name)) {
    const err = new Error(`'${space.name}' is the name of a built-in search space: give the user-defined space another name`);
    (err as Error & { code: string }).code = 'LOOM_BAD_ARCH';
    throw err;
  }
  USER_SPACES.set(space.name, space);
  return space;
}

/**
 * The built-in space named `name`, or a registered user-defined one, or a packaged example space
 * ({@link PACKAGED_SPACES}, loaded from its file); a path ending in `.json` loads (and registers)
 * the user-defined space in that file (`user/space.ts`). Throws a clear error listing the known ones.
 */
export function getSpace(name: string): SearchSpace {
  if (name.toLowerCase().endsWith('.json')) return registerSpace(loadSpaceFile(name));
  const s = SPACES.get(name) ?? USER_SPACES.get(name);
  if (!s) {
    const file = packagedSpaceFile(name);
    if (file) return registerSpace(loadSpaceFile(file));
    const err = new Error(`unknown search space '${name}' (known: ${[...spaceNames(), ...PACKAGED_SPACES].join(', ')}; or a JSON space's file)`);
    (err as Error & { code: string }).code = 'LOOM_BAD_ARCH';
    throw err;
  }
  return s;
}
