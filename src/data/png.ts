/**
 * PNG images, read without a dependency: `node:zlib` inflates the pixel data, and this module
 * undoes the scanline filters and the Adam7 interlacing. Every form the PNG standard (ISO/IEC
 * 15948) allows is read: greyscale, RGB, palette, greyscale with alpha and RGBA, at bit depths 1
 * to 16, interlaced or not, with a `tRNS` transparency. Samples come back as numbers in [0, 1];
 * `image.ts` makes model inputs of them.
 * @module
 */
import { inflateSync } from 'node:zlib';
import { DataError, readDataFile } from './errors.js';
import type { DecodedImage } from './image.js';

/** The largest image the readers decode, in pixels (PNG here, JPEG in `jpeg.ts`): 8192x8192. */
export const MAX_IMAGE_PIXELS = 1 << 26;

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Whether `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (the PNG chunks' and zlib's polynomial), here rather than `zlib.crc32`, which Node 20 gained only at 20.15. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Samples per pixel of each colour type (0 grey, 2 RGB, 3 palette index, 4 grey and alpha, 6 RGBA). */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Bit depths each colour type allows. */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7's seven passes: first column and row, column and row steps (`[x0, y0, dx, dy]`). */
export const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/**
 * Decodes a PNG file's bytes. `name` names it in errors. Throws a {@link DataError} saying what is
 * wrong with a file that is not a PNG, is cut short, fails a chunk's checksum, or breaks the
 * standard's rules.
 */
export function decodePng(bytes: Uint8Array, name = 'image'): DecodedImage {
  const bad = (why: string) => new DataError(`${name}: ${why}`);
  if (!isPng(bytes)) throw bad('not a PNG image (no PNG signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let header: { width: number; height: number; depth: number; type: number; interlace: number } | null = null;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (!ended) {
    if (at + 12 > bytes.length) throw bad(`truncated: the file ends inside a chunk header at byte ${at} (no IEND chunk)`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) throw bad(`truncated: chunk ${type} of ${length} bytes runs past the end of the file`);
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) throw bad(`corrupt: chunk ${type} fails its CRC check`);
    at += 12 + length;
    if (!header && type !== 'IHDR') throw bad(`the first chunk is ${type}, not IHDR`);
    switch (type) {
      case 'IHDR': {
        if (length !== 13) throw bad(`IHDR of ${length} bytes (13 expected)`);
        const h = new DataView(body.buffer, body.byteOffset, 13);
        header = { width: h.getUint32(0), height: h.getUint32(4), depth: body[8], type: body[9], interlace: body[12] };
        if (!(header.type in SAMPLES)) throw bad(`colour type ${header.type} is not one PNG defines`);
        if (!DEPTHS[header.type].includes(header.depth)) throw bad(`bit depth ${header.depth} is not allowed for colour type ${header.type}`);
        if (body[10] !== 0 || body[11] !== 0) throw bad('unknown compression or filter method');
        if (header.interlace > 1) throw bad(`unknown interlace method ${header.interlace}`);
        if (header.width === 0 || header.height === 0) throw bad(`an image of ${header.width}x${header.height} pixels`);
        if (header.width * header.height > MAX_IMAGE_PIXELS) throw bad(`${header.width}x${header.height} pixels is too large an image to classify`);
        break;
      }
      case 'PLTE':
        if (length % 3 !== 0 || length === 0) throw bad(`a palette of ${length} bytes (a multiple of 3)`);
        palette = body;
        break;
      case 'tRNS':
        trns = body;
        break;
      case 'IDAT':
        idat.push(body);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // An unknown critical chunk (its name starts upper case) changes how the image reads.
        if (type.charCodeAt(0) < 97) throw bad(`an unknown critical chunk ${type}`);
    }
  }
  const hd = header as NonNullable<typeof header>;
  if (hd.type === 3 && !palette) throw bad('a palette image without a PLTE chunk');
  if (!idat.length) throw bad('no image data (IDAT)');
  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    throw bad(`corrupt image data: ${(e as Error).message}`);
  }
  const samples = SAMPLES[hd.type];
  const bitsPerPixel = samples * hd.depth;
  // The filters' left neighbour: one pixel's bytes, at least one byte.
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const rowBytes = (w: number) => Math.ceil((w * bitsPerPixel) / 8);
  const passes = hd.interlace ? ADAM7 : ([[0, 0, 1, 1]] as const);
  // Samples as integers, the whole image, filled pass by pass.
  const values = new Uint16Array(hd.width * hd.height * samples);
  let offset = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((hd.width - x0) / dx);
    const ph = Math.ceil((hd.height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = rowBytes(pw);
    let prev = new Uint8Array(stride);
    for (let r = 0; r < ph; r++) {
      if (offset + 1 + stride > raw.length) throw bad(`truncated image data: ${raw.length} bytes inflated, more needed for row ${r}`);
      const filter = raw[offset];
      const line = raw.slice(offset + 1, offset + 1 + stride);
      offset += 1 + stride;
      unfilter(filter, line, prev, bpp, () => bad(`unknown filter type ${filter} on row ${r}`));
      const y = y0 + r * dy;
      for (let i = 0; i < pw; i++) {
        const base = ((y * hd.width) + x0 + i * dx) * samples;
        for (let s = 0; s < samples; s++) values[base + s] = sample(line, i * samples + s, hd.depth);
      }
      prev = line;
    }
  }
  return toImage(hd, values, palette, trns, bad);
}

/** Undoes a scanline's filter in place (`prev`: the line above, already unfiltered; zeros for the first). */
function unfilter(filter: number, line: Uint8Array, prev: Uint8Array, bpp: number, unknown: () => Error): void {
  const n = line.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) line[i] = (line[i] + line[i - bpp]) & 0xff;
      return;
    case 2:
      for (let i = 0; i < n; i++) line[i] = (line[i] + prev[i]) & 0xff;
      return;
    case 3:
      for (let i = 0; i < n; i++) line[i] = (line[i] + (((i >= bpp ? line[i - bpp] : 0) + prev[i]) >> 1)) & 0xff;
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? line[i - bpp] : 0;
        const b = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        line[i] = (line[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
      return;
    default:
      throw unknown();
  }
}

/** The `k`-th sample of an unfiltered line at this bit depth (sub-byte samples packed from the high bits). */
function sample(line: Uint8Array, k: number, depth: number): number {
  if (depth === 8) return line[k];
  if (depth === 16) return (line[2 * k] << 8) | line[2 * k + 1];
  const bit = k * depth;
  return (line[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

function toImage(hd: { width: number; height: number; depth: number; type: number }, values: Uint16Array, palette: Uint8Array | null, trns: Uint8Array | null, bad: (why: string) => Error): DecodedImage {
  const pixels = hd.width * hd.height;
  const max = (1 << hd.depth) - 1;
  if (hd.type === 3) {
    // Palette: RGB from PLTE, alpha from tRNS where it has an entry (opaque otherwise).
    const pal = palette as Uint8Array;
    const entries = pal.length / 3;
    const alpha = trns !== null;
    const c = alpha ? 4 : 3;
    const data = new Float32Array(pixels * c);
    for (let p = 0; p < pixels; p++) {
      const k = values[p];
      if (k >= entries) throw bad(`palette index ${k} past the palette's ${entries} entries`);
      for (let s = 0; s < 3; s++) data[p * c + s] = pal[3 * k + s] / 255;
      if (alpha) data[p * c + 3] = k < (trns as Uint8Array).length ? (trns as Uint8Array)[k] / 255 : 1;
    }
    return { width: hd.width, height: hd.height, channels: c as 3 | 4, data };
  }
  const samples = SAMPLES[hd.type];
  // tRNS on grey or RGB names one colour (16-bit big-endian samples) that is transparent.
  const key = trns && (hd.type === 0 || hd.type === 2) && trns.length >= 2 * samples ? Array.from({ length: samples }, (_, s) => (trns[2 * s] << 8) | trns[2 * s + 1]) : null;
  const c = key ? samples + 1 : samples;
  const data = new Float32Array(pixels * c);
  for (let p = 0; p < pixels; p++) {
    let clear = !!key;
    for (let s = 0; s < samples; s++) {
      const v = values[p * samples + s];
      data[p * c + s] = v / max;
      if (key && v !== key[s]) clear = false;
    }
    if (key) data[p * c + samples] = clear ? 0 : 1;
  }
  return { width: hd.width, height: hd.height, channels: c as 1 | 2 | 3 | 4, data };
}

/** Reads and decodes a PNG file. */
export function readPng(path: string): DecodedImage {
  return decodePng(readDataFile(path), path);
}
