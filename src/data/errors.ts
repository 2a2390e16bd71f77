/**
 * Errors of the data layer, with codes the CLI maps to "bad input" (exit code 2).
 * @module
 */
import { readFileSync } from 'node:fs';

/** A data file that is malformed: bad magic number, truncated, wrong shape or labels. */
export class DataError extends Error {
  readonly code = 'LOOM_BAD_DATA';
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** A dataset whose files are not where they were looked for. */
export class DatasetNotFoundError extends Error {
  readonly code = 'LOOM_DATASET_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'DatasetNotFoundError';
  }
}

/**
 * A data file's bytes.
 * @param missing the error for a file that is not there (default a {@link DataError}).
 * @throws DataError naming the file when it is unreadable, `missing`'s error when it is missing.
 */
export function readDataFile(path: string, missing: (message: string) => Error = (m) => new DataError(m)): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw missing(`${path}: no such file`);
    throw new DataError(`${path}: cannot read: ${err.message}`);
  }
}
