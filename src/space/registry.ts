/**
 * The built-in search spaces, by name. A new space is a file in `spaces/` plus one line here.
 * @module
 */
import type { SearchSpace } from './space.js';
import { chain } from './spaces/chain.js';
import { darts } from './spaces/darts.js';
import { mobilenet } from './spaces/mobilenet.js';
import { multibranch } from './spaces/multibranch.js';
import { nasnet } from './spaces/nasnet.js';
import { nb101 } from './spaces/nb101.js';
import { nb201 } from './spaces/nb201.js';

const SPACES: ReadonlyMap<string, SearchSpace> = new Map<string, SearchSpace>([
  [nb201.name, nb201],
  [nb101.name, nb101],
  [chain.name, chain],
  [multibranch.name, multibranch],
  [darts.name, darts],
  [nasnet.name, nasnet],
  [mobilenet.name, mobilenet],
]);

/** Names of the built-in spaces. */
export function spaceNames(): string[] {
  return [...SPACES.keys()];
}

/** The built-in space named `name`; throws a clear error listing the known ones. */
export function getSpace(name: string): SearchSpace {
  const s = SPACES.get(name);
  if (!s) {
    const err = new Error(`unknown search space '${name}' (known: ${spaceNames().join(', ')})`);
    (err as Error & { code: string }).code = 'LOOM_BAD_ARCH';
    throw err;
  }
  return s;
}
