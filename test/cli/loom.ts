/**
 * Runs the `loom` CLI in a child process for the CLI tests: `loom(args)` returns the exit code and
 * both streams, `ok(args)` asserts success and returns stdout, `assertUsageError` checks the
 * bad-input contract (exit code 2, one `loom: ...` line on stderr, nothing on stdout).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI's entry script (for tests that spawn it themselves). */
export const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** What a run of the CLI gave. */
export interface LoomRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `loom ...args` (time limit `timeout` ms). */
export function loom(args: readonly string[], timeout = 120_000): LoomRun {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `loom ...args`, asserts exit code 0, and returns stdout. */
export function ok(args: readonly string[]): string {
  const r = loom(args);
  assert.equal(r.code, 0, `loom ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Exit code 2, nothing on stdout, and exactly one `loom: ` line on stderr matching `re`. */
export function assertUsageError(r: LoomRun, re: RegExp): void {
  assert.equal(r.code, 2, `exit code 2 (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], /^loom: /);
  assert.match(lines[0], re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}
