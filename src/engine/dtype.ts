/**
 * Data types and devices.
 * @module
 */

/** Element types a tensor can hold. */
export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'uint8' | 'bool' | 'int8' | 'int16';

/** A device: `'cpu'`, `'cuda'` (device 0) or `'cuda:N'`. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

// Order matches kDtypes in native/src/core.cc.
export const DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool', 'int8', 'int16'];
const CODES = new Map<DType, number>(DTYPES.map((d, i) => [d, i]));

/** Bytes per element. */
export const ITEMSIZE: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, uint8: 1, bool: 1, int8: 1, int16: 2,
};

/** @internal */
export function dtypeCode(d: DType): number {
  const c = CODES.get(d);
  if (c === undefined) throw new Error(`unknown dtype '${String(d)}'; expected one of ${DTYPES.join(', ')}`);
  return c;
}

/** @internal */
export function deviceCode(d: Device | undefined): number {
  if (d === undefined || d === 'cpu') return -1;
  if (d === 'cuda') return 0;
  const m = /^cuda:(\d+)$/.exec(d);
  if (!m) throw new Error(`unknown device '${String(d)}'; expected 'cpu', 'cuda' or 'cuda:N'`);
  return Number(m[1]);
}

/** @internal */
export function deviceName(code: number): Device {
  return code < 0 ? 'cpu' : `cuda:${code}`;
}

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}
