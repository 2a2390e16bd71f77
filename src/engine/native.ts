/**
 * Loads the native addon (native/build/loom.node) and explains what to do when it,
 * or the libtorch it links to, is missing.
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The raw binding. Its functions take and return tensor handles (numbers); use {@link Tensor} instead. */
// biome-ignore lint/suspicious/noExplicitAny: the binding is untyped by nature; the typed face is Tensor.
export type Binding = Record<string, (...args: any[]) => any>;

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** Where the addon is looked for: `LOOM_NATIVE` if set, else `<package>/native/build/loom.node`. */
export function addonPath(): string {
  return process.env.LOOM_NATIVE ?? join(packageRoot(), 'native', 'build', 'loom.node');
}

function load(): Binding {
  const path = addonPath();
  if (!existsSync(path)) {
    throw new Error(
      `Loom's native addon is not built (looked for ${path}).\n` +
        '  Build it with:   npm run build:native\n' +
        '  It needs libtorch: apt-get install libtorch-dev (or set LOOM_LIBTORCH to a libtorch folder).\n' +
        '  `npm run setup` does all of this on a fresh Debian machine.',
    );
  }
  let binding: Binding;
  try {
    binding = createRequire(import.meta.url)(path) as Binding;
  } catch (e) {
    const msg = (e as Error).message;
    if (/lib(torch|c10)[^ ]*\.so/.test(msg)) {
      throw new Error(
        `Loom's native addon was found but libtorch could not be loaded: ${msg}\n` +
          '  Install it (apt-get install libtorch-dev) or rebuild against the libtorch you have:\n' +
          '  LOOM_LIBTORCH=/path/to/libtorch npm run build:native',
      );
    }
    throw new Error(`Loom's native addon at ${path} failed to load: ${msg}\n  Try rebuilding it: npm run build:native`);
  }
  // libtorch's OpenMP default can be a single thread on virtual machines (one "physical" core is
  // reported); use every core the process may run on unless the user chose with OMP_NUM_THREADS.
  if (!process.env.OMP_NUM_THREADS) binding.setNumThreads(Math.max(1, availableParallelism()));
  return binding;
}

/**
 * The binding. It is loaded on first use, not on import, so commands and modules that never touch
 * a tensor (search spaces, strategies, `--help`) work without the addon. `N` is a live binding:
 * the first property read loads the addon and rebinds `N` to it, so later calls cost nothing extra.
 */
export let N: Binding = new Proxy({} as Binding, {
  get(_t, key) {
    N = load();
    return (N as unknown as Record<string | symbol, unknown>)[key];
  },
});
