/**
 * The package's own name and version, read from its package.json, and the files it ships (found
 * from this module upwards, so from `src/` and `dist/src/` alike).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's folder and its package.json (null when not found). */
function findPackage(): { dir: string; name: string; version: string } | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name && pkg.version) return { dir, name: pkg.name, version: pkg.version };
      } catch {
        // keep looking upwards
      }
    }
    dir = dirname(dir);
  }
  return null;
}

/** Name and version of the installed Loom package. */
export function packageInfo(): { name: string; version: string } {
  const p = findPackage();
  return p ? { name: p.name, version: p.version } : { name: 'loom-nas', version: 'unknown' };
}

/** A file shipped with the package (e.g. `examples/spaces/fmnist-cnn.json`), as an absolute path. */
export function packageFile(rel: string): string {
  const p = findPackage();
  return join(p ? p.dir : process.cwd(), rel);
}
