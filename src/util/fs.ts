/**
 * File-system helpers.
 * @module
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates a folder and its missing parents, like `mkdir -p`, one level at a time. Node's
 * `mkdirSync(dir, { recursive: true })` never returns for a path under `/proc` (Node 20: the kernel
 * answers ENOENT, and Node retries the parent forever); here such a path throws the kernel's error
 * like any other that cannot be created.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) {
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (e) {
      // Another process may create it at the same moment.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Whether `p` is a folder (false when it does not exist or cannot be read). */
export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Whether `p` is a plain file (false when it does not exist or cannot be read). */
export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
