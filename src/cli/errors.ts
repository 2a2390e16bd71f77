/**
 * Errors the CLI reports as bad input: one line on stderr and exit code 2, no stack trace.
 * @module
 */

/** Bad input from the user (an option's value, a missing file): exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const BAD_INPUT_CODES = new Set(['LOOM_DATASET_NOT_FOUND', 'LOOM_BAD_DATA', 'LOOM_BAD_ARCH', 'LOOM_BAD_STRATEGY', 'LOOM_STUDY_MISMATCH', 'LOOM_BAD_STORE', 'LOOM_NO_STUDY', 'LOOM_BAD_MODEL']);

/** Exit code for an error: 2 for bad input (usage errors, missing or malformed data, malformed architectures, unknown spaces), 1 otherwise. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return 2;
  if (e && typeof e === 'object' && BAD_INPUT_CODES.has(String((e as { code?: unknown }).code))) return 2;
  return 1;
}
