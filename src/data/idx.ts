/**
 * A strict reader (and writer) of IDX files, the format of MNIST and Fashion-MNIST.
 *
 * Layout: a 4-byte magic number `0x00 0x00 <dtype> <ndims>`, then `ndims` big-endian uint32
 * dimension sizes, then the data in big-endian, row-major order. Files may be gzipped (detected by
 * the gzip magic bytes, not by the file name). Anything that does not fit the layout exactly
 * (bad magic, unknown dtype, truncated or trailing data) is an error naming the file.
 * @module
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { DataError, readDataFile } from './errors.js';

/** Element types an IDX file can hold. */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array that holds each {@link IdxDType}. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX file: its element type, shape and data (row-major, native byte order). */
export interface IdxArray {
  dtype: IdxDType;
  shape: number[];
  data: IdxData;
}

const CODES = new Map<number, IdxDType>([
  [0x08, 'uint8'],
  [0x09, 'int8'],
  [0x0b, 'int16'],
  [0x0c, 'int32'],
  [0x0d, 'float32'],
  [0x0e, 'float64'],
]);
const CODE_OF: Record<IdxDType, number> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };
const SIZE: Record<IdxDType, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };

/** Whether bytes start with the gzip magic number (0x1f 0x8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decodes the bytes of an IDX file (gzipped or not). `source` names the file in error messages.
 * @throws DataError when the bytes are not a complete, well-formed IDX file.
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(`${source}: damaged gzip stream (${(e as Error).message}); the file is probably truncated, download it again`);
    }
  }
  if (bytes.length < 4) throw new DataError(`${source}: not an IDX file: ${bytes.length} byte(s), too short for the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`${source}: not an IDX file: magic number starts ${hex}, expected 00 00 <dtype> <ndims>`);
  }
  const dtype = CODES.get(bytes[2]);
  if (!dtype) {
    throw new DataError(
      `${source}: unknown IDX dtype byte 0x${bytes[2].toString(16).padStart(2, '0')} ` +
        '(expected 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32 or 0x0e float64)',
    );
  }
  const ndims = bytes[3];
  if (ndims === 0) throw new DataError(`${source}: IDX header declares 0 dimensions`);
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) {
    throw new DataError(`${source}: truncated IDX header: ${ndims} dimension(s) need ${headerLen} bytes, the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const itemSize = SIZE[dtype];
  const expected = count * itemSize;
  const found = bytes.length - headerLen;
  if (found < expected) {
    throw new DataError(
      `${source}: truncated IDX data: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes, found ${found}`,
    );
  }
  if (found > expected) {
    throw new DataError(`${source}: ${found - expected} unexpected byte(s) after the IDX data of shape [${shape.join(', ')}]`);
  }
  return { dtype, shape, data: decode(view, headerLen, count, dtype) };
}

function decode(view: DataView, offset: number, count: number, dtype: IdxDType): IdxData {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer, view.byteOffset + offset, count).slice();
    case 'int8':
      return new Int8Array(view.buffer, view.byteOffset + offset, count).slice();
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/**
 * Reads an IDX file (plain or gzipped) from disk.
 * @throws DataError when the file is missing, unreadable or malformed; the message names the file.
 */
export function readIdx(path: string): IdxArray {
  return parseIdx(readDataFile(path), path);
}

function typeOf(data: IdxData): IdxDType {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  return 'float64';
}

/** Encodes an array as IDX bytes (gzipped with `gzip: true`); the dtype follows the typed array. */
export function encodeIdx(shape: readonly number[], data: IdxData, opts: { gzip?: boolean } = {}): Uint8Array {
  if (shape.length === 0 || shape.length > 255) throw new Error(`encodeIdx: need 1 to 255 dimensions, got ${shape.length}`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeIdx: shape [${shape.join(', ')}] needs ${count} elements, data has ${data.length}`);
  const dtype = typeOf(data);
  const headerLen = 4 + 4 * shape.length;
  const out = new Uint8Array(headerLen + count * SIZE[dtype]);
  const view = new DataView(out.buffer);
  out[2] = CODE_OF[dtype];
  out[3] = shape.length;
  shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  for (let i = 0; i < count; i++) {
    const at = headerLen + i * SIZE[dtype];
    const v = data[i];
    switch (dtype) {
      case 'uint8':
        view.setUint8(at, v);
        break;
      case 'int8':
        view.setInt8(at, v);
        break;
      case 'int16':
        view.setInt16(at, v, false);
        break;
      case 'int32':
        view.setInt32(at, v, false);
        break;
      case 'float32':
        view.setFloat32(at, v, false);
        break;
      case 'float64':
        view.setFloat64(at, v, false);
        break;
    }
  }
  return opts.gzip ? gzipSync(out) : out;
}
