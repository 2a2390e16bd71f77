/**
 * The error type of the space layer.
 * @module
 */

/** Bad input about an architecture (a malformed string, an unknown op, a value out of range). */
export class ArchitectureError extends Error {
  readonly code = 'LOOM_BAD_ARCH';
  constructor(message: string) {
    super(message);
    this.name = 'ArchitectureError';
  }
}
