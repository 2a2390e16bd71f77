/**
 * Weights files in the safetensors format (https://github.com/huggingface/safetensors), read
 * by a strict parser.
 *
 * Layout: 8 bytes little-endian u64 `N`; `N` bytes of UTF-8 JSON header
 * `{"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}`
 * (offsets relative to the data area); then the data area, little-endian, row-major, which the
 * tensors must cover exactly (no holes, no overlaps, nothing after the last tensor).
 *
 * The parser checks every field before it allocates anything, so a damaged or hostile file gives
 * an `Error` naming the file and the tensor, never a crash or a huge allocation.
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { type DType, type Device, ITEMSIZE, deviceCode, dtypeCode } from './dtype.js';
import { N } from './native.js';
import { Tensor } from './tensor.js';

/** The largest header accepted (the same limit as the reference implementation). */
export const MAX_HEADER_BYTES = 100_000_000;
/** The most dimensions a tensor in a file may have. */
export const MAX_DIMS = 64;

const TO_ST: Record<DType, string> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};
const FROM_ST = new Map<string, DType>(Object.entries(TO_ST).map(([k, v]) => [v, k as DType]));
/**
 * The reference implementation's dtype order (its `Dtype` enum, increasing alignment); writers lay
 * tensors out by this order, descending, then by name, which keeps every tensor aligned.
 */
const RANK: Record<DType, number> = { bool: 0, uint8: 1, int8: 2, int16: 5, float16: 7, bfloat16: 8, int32: 9, float32: 11, float64: 12, int64: 13 };
/** Dtypes the format defines that Loom cannot hold. */
const FOREIGN = new Set(['U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64', 'E8M0']);

/** Tensors read from a safetensors file, by name in data order (by offset), with the file's metadata. */
export class TensorMap extends Map<string, Tensor> {
  /** The header's `__metadata__` (empty when absent). */
  metadata: Record<string, string> = {};
  /** Disposes every tensor in the map. */
  dispose(): void {
    for (const t of this.values()) t.dispose();
  }
}

/** One tensor's entry in a parsed header. */
export interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range in the data area. */
  begin: number;
  end: number;
}

/** A validated header: entries sorted by offset, the metadata, and where the data area starts. */
export interface SafetensorsHeader {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  /** Offset of the data area in the file (8 + header length). */
  dataStart: number;
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: only little-endian machines are supported');
}

// ---------------------------------------------------------------------------
// parsing
// ---------------------------------------------------------------------------

/**
 * Finds a duplicate key in any object of a JSON text (which must already be valid JSON).
 * Returns the key and the path of the object holding it, or null.
 */
function findDuplicateKey(text: string): { key: string; where: string } | null {
  // A stack of frames: for objects, the keys seen so far and the key that opened each child.
  const stack: { obj: boolean; keys: Set<string>; name: string }[] = [];
  let expectKey = false;
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.obj && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return { key, where: stack.map((f) => f.name).filter(Boolean).join('.') };
        top.keys.add(key);
        lastKey = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const top = stack[stack.length - 1];
      stack.push({ obj: c === '{', keys: new Set(), name: top?.obj ? lastKey : '' });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = !!stack[stack.length - 1]?.obj;
    }
  }
  return null;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses and validates the header of a safetensors file held in `bytes` (the whole file, or at
 * least its first 8 + N bytes when `fileSize` is given). `source` names the file in errors.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, source = '<buffer>', fileSize = bytes.byteLength): SafetensorsHeader {
  const fail = (msg: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${msg}`);
  };
  if (fileSize < 8 || bytes.byteLength < 8) fail(`it has ${fileSize} bytes, fewer than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n64} is above the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(n64);
  if (8 + n > fileSize) fail(`header length ${n} runs past the end of the file (${fileSize} bytes)`);
  if (8 + n > bytes.byteLength) fail(`header length ${n} runs past the end of the data given (${bytes.byteLength} bytes)`);
  if (n < 2) fail(`header length ${n} is too short for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  if (text[0] !== '{') fail(`the header must start with '{', found ${JSON.stringify(text.slice(0, 16))}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) return fail('the header is not a JSON object');
  const dup = findDuplicateKey(text);
  if (dup) fail(dup.where ? `duplicate key '${dup.key}' in '${dup.where}'` : `duplicate tensor name '${dup.key}'`);

  const dataStart = 8 + n;
  const dataLen = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(raw)) fail("'__metadata__' must be an object of strings");
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`metadata '${k}' must be a string, got ${v === null ? 'null' : typeof v}`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const bad = (msg: string): never => fail(`tensor '${name}': ${msg}`);
    if (!isPlainObject(raw)) bad('its entry is not an object');
    const info = raw as Record<string, unknown>;
    for (const k of Object.keys(info)) if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') bad(`unknown field '${k}'`);
    if (typeof info.dtype !== 'string') bad('dtype missing or not a string');
    const st = info.dtype as string;
    const dtype = FROM_ST.get(st);
    if (!dtype) bad(FOREIGN.has(st) ? `dtype ${st} is not supported by Loom` : `unknown dtype ${JSON.stringify(st).slice(0, 40)}`);
    if (!Array.isArray(info.shape)) bad('shape missing or not an array');
    const shape = info.shape as unknown[];
    if (shape.length > MAX_DIMS) bad(`shape has ${shape.length} dimensions, more than ${MAX_DIMS}`);
    let numel = 1;
    let zero = false;
    for (const d of shape) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) bad(`shape must hold non-negative integers, got ${JSON.stringify(shape).slice(0, 80)}`);
      if (d === 0) zero = true;
      else if (!zero) {
        numel *= d as number;
        if (!Number.isSafeInteger(numel)) bad(`shape [${shape.join(', ')}] has too many elements`);
      }
    }
    if (zero) numel = 0;
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0))
      bad(`data_offsets must be two non-negative integers, got ${JSON.stringify(off)?.slice(0, 80)}`);
    const [begin, end] = off as [number, number];
    if (end < begin) bad(`data_offsets [${begin}, ${end}] are reversed`);
    if (end > dataLen) bad(`data_offsets [${begin}, ${end}] run past the end of the data area (${dataLen} bytes)`);
    const need = numel * ITEMSIZE[dtype as DType];
    if (!Number.isSafeInteger(need) || need !== end - begin)
      bad(`holds ${end - begin} bytes but dtype ${st} and shape [${shape.join(', ')}] need ${need}`);
    entries.push({ name, dtype: dtype as DType, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: HeaderEntry | undefined;
  for (const e of entries) {
    if (e.begin < pos) fail(`tensor '${e.name}' (bytes ${e.begin}..${e.end}) overlaps tensor '${prev?.name}' (bytes ${prev?.begin}..${prev?.end})`);
    if (e.begin > pos) fail(`the data area has a hole at bytes ${pos}..${e.begin}, before tensor '${e.name}'`);
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLen) fail(`the data area has ${dataLen - pos} bytes after the last tensor, not covered by any tensor`);
  return { entries, metadata, dataStart };
}

/**
 * Parses a whole safetensors file held in memory into tensors (on `opts.device`, default CPU).
 * `opts.source` names the data in error messages.
 */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer, opts: { device?: Device; source?: string } = {}): TensorMap {
  checkLittleEndian();
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const source = opts.source ?? '<buffer>';
  const header = parseSafetensorsHeader(buf, source);
  const dev = deviceCode(opts.device);
  for (const e of header.entries) {
    if (e.dtype !== 'bool') continue;
    const data = buf.subarray(header.dataStart + e.begin, header.dataStart + e.end);
    const i = data.findIndex((b) => b > 1);
    if (i >= 0) throw new Error(`${source}: not a valid safetensors file: tensor '${e.name}': BOOL element ${i} is ${data[i]}, not 0 or 1`);
  }
  const out = new TensorMap();
  out.metadata = header.metadata;
  try {
    // In data order (by offset).
    for (const e of header.entries) {
      const view = buf.subarray(header.dataStart + e.begin, header.dataStart + e.end);
      out.set(e.name, new Tensor(N.fromBuffer(view, dtypeCode(e.dtype), e.shape, dev)));
    }
  } catch (err) {
    out.dispose();
    throw new Error(`${source}: could not create the tensors: ${(err as Error).message}`);
  }
  return out;
}

/** Reads a safetensors file into tensors (on `opts.device`, default CPU), with its metadata. */
export function loadSafetensors(path: string, opts: { device?: Device } = {}): TensorMap {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read safetensors file ${path}: ${(e as Error).message}`);
  }
  return parseSafetensors(bytes, { device: opts.device, source: path });
}

// ---------------------------------------------------------------------------
// writing
// ---------------------------------------------------------------------------

/** Tensors to write: a Map or a plain object, name to tensor. */
export type TensorsByName = Map<string, Tensor> | Record<string, Tensor>;

/**
 * Serialises tensors (any device; converted to contiguous CPU bytes) and optional string
 * metadata into safetensors bytes, byte for byte as the reference implementation writes them:
 * tensors laid out by dtype (widest first) and then by name, so each is aligned to its element
 * size, and the header padded with spaces to a multiple of 8 bytes. Metadata keys are sorted.
 */
export function serializeSafetensors(tensors: TensorsByName, metadata?: Record<string, string>): Uint8Array {
  checkLittleEndian();
  const items = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const names = new Set<string>();
  for (const [name, t] of items) {
    if (typeof name !== 'string' || name === '') throw new Error('serializeSafetensors: tensor names must be non-empty strings');
    if (name === '__metadata__') throw new Error("serializeSafetensors: '__metadata__' cannot be a tensor name");
    if (names.has(name)) throw new Error(`serializeSafetensors: duplicate tensor name '${name}'`);
    names.add(name);
    if (!(t instanceof Tensor)) throw new Error(`serializeSafetensors: '${name}' is not a Tensor`);
    if (t.isDisposed) throw new Error(`serializeSafetensors: tensor '${name}' has been disposed`);
  }
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) throw new Error('serializeSafetensors: metadata must be an object of strings');
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`serializeSafetensors: metadata '${k}' must be a string, got ${typeof v}`);
    }
  }
  const keyed = items.map(([name, t]) => ({ name, t, rank: RANK[t.dtype], key: Buffer.from(name, 'utf8') }));
  keyed.sort((a, b) => b.rank - a.rank || Buffer.compare(a.key, b.key));
  const datas: Uint8Array[] = [];
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    header.__metadata__ = Object.fromEntries(Object.keys(metadata).sort().map((k) => [k, metadata[k]]));
  }
  let offset = 0;
  for (const { name, t } of keyed) {
    const bytes = new Uint8Array(N.toBuffer(t._id) as ArrayBuffer);
    header[name] = { dtype: TO_ST[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    datas.push(bytes);
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.byteLength % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let pos = 8 + json.byteLength;
  for (const d of datas) {
    out.set(d, pos);
    pos += d.byteLength;
  }
  return out;
}

/**
 * Writes tensors (and optional string metadata) to a safetensors file, atomically: the bytes go
 * to a temporary file in the same folder, which is flushed and then renamed over `path`.
 */
export function saveSafetensors(path: string, tensors: TensorsByName, metadata?: Record<string, string>): void {
  const bytes = serializeSafetensors(tensors, metadata);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw new Error(`cannot write safetensors file ${path}: ${(e as Error).message}`);
  }
}
