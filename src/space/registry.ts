/**
 * The built-in search spaces, by name. A new space is a file in `spaces/` plus one line here.
 * @module
 */
import type { SearchSpace } from './space.js';
import { chain } from './spaces/chain.js';
import { darts } from './spaces/darts.js';
import { mlp } from './spaces/mlp.js';
import { mobilenet } from './spaces/mobilenet.js';
import { multibranch } from './spaces/multibranch.js';
import { nasnet } from './spaces/nasnet.js';
import { nb101 } from './spaces/nb101.js';
import { nb201 } from './spaces/nb201.js';
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
 * The built-in space named `name`, or a registered user-defined one; a path ending in `.json`
 * loads (and registers) the user-defined space in that file (`user/space.ts`). Throws a clear
 * error listing the known ones.
 */
export function getSpace(name: string): SearchSpace {
  if (name.toLowerCase().endsWith('.json')) return registerSpace(loadSpaceFile(name));
  const s = SPACES.get(name) ?? USER_SPACES.get(name);
  if (!s) {
    const err = new Error(`unknown search space '${name}' (known: ${spaceNames().join(', ')})`);
    (err as Error & { code: string }).code = 'LOOM_BAD_ARCH';
    throw err;
  }
  return s;
}
