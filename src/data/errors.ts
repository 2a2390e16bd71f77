/**
 * Errors of the data layer, with codes the CLI maps to "bad input" (exit code 2).
 * @module
 */

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
