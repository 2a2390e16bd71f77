/**
 * The package's own name and version, read from its package.json.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Name and version of the installed Loom package. */
export function packageInfo(): { name: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name && pkg.version) return { name: pkg.name, version: pkg.version };
      } catch {
        // keep looking upwards
      }
    }
    dir = dirname(dir);
  }
  return { name: 'loom-nas', version: 'unknown' };
}
