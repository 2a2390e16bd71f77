/**
 * A PNG writer for tests: every colour type and bit depth, each row under a chosen filter, Adam7
 * interlacing, extra chunks. Written from the standard apart from the reader it tests; it shares
 * the reader's CRC (checked against the standard's check value on its own) and its table of
 * Adam7's passes (checked by files ImageMagick wrote, in `png.test.ts`).
 */
import { deflateSync } from 'node:zlib';
import { ADAM7, crc32 } from '../../src/data/png.js';

export interface PngSpec {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey and alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  interlace?: boolean;
  /** The filter of row r is `filters[r % filters.length]` (default: 0 to 4 in turn). */
  filters?: number[];
  /** PLTE: RGB bytes. */
  palette?: number[];
  /** tRNS bytes. */
  trns?: number[];
  /** Ancillary chunks to put before the data, e.g. ['tEXt', ...]. */
  extra?: [string, Uint8Array][];
}

const SAMPLES = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Packs one row of integer samples at the bit depth. */
function packRow(samples: number[], depth: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((samples.length * depth) / 8));
  samples.forEach((s, k) => {
    if (depth === 16) {
      out[2 * k] = s >> 8;
      out[2 * k + 1] = s & 0xff;
    } else if (depth === 8) out[k] = s;
    else out[(k * depth) >> 3] |= s << (8 - depth - ((k * depth) & 7));
  });
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Filters a packed row against the row above (raw bytes). */
function filterRow(type: number, row: Uint8Array, above: Uint8Array, bpp: number): Uint8Array {
  const out = new Uint8Array(row.length + 1);
  out[0] = type;
  for (let i = 0; i < row.length; i++) {
    const a = i >= bpp ? row[i - bpp] : 0;
    const b = above[i];
    const c = i >= bpp ? above[i - bpp] : 0;
    const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type];
    out[i + 1] = (row[i] - pred) & 0xff;
  }
  return out;
}

/** Encodes `samples` (row-major, `width * height * samplesPerPixel` integers at the depth) as a PNG file. */
export function encodePng(spec: PngSpec, samples: ArrayLike<number>): Uint8Array {
  const spp = SAMPLES[spec.colorType];
  const bpp = Math.max(1, (spp * spec.depth) >> 3);
  const filters = spec.filters ?? [0, 1, 2, 3, 4];
  const passes = spec.interlace ? ADAM7 : [[0, 0, 1, 1]];
  const parts: Uint8Array[] = [];
  let r = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((spec.width - x0) / dx);
    const ph = Math.ceil((spec.height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    let above: Uint8Array = new Uint8Array(Math.ceil((pw * spp * spec.depth) / 8));
    for (let y = y0; y < spec.height; y += dy) {
      const row: number[] = [];
      for (let x = x0; x < spec.width; x += dx) for (let s = 0; s < spp; s++) row.push(samples[(y * spec.width + x) * spp + s]);
      const packed = packRow(row, spec.depth);
      parts.push(filterRow(filters[r++ % filters.length], packed, above, bpp));
      above = packed;
    }
  }
  const header = new Uint8Array(13);
  const v = new DataView(header.buffer);
  v.setUint32(0, spec.width);
  v.setUint32(4, spec.height);
  header.set([spec.depth, spec.colorType, 0, 0, spec.interlace ? 1 : 0], 8);
  const chunks = [chunk('IHDR', header)];
  for (const [type, data] of spec.extra ?? []) chunks.push(chunk(type, data));
  if (spec.palette) chunks.push(chunk('PLTE', Uint8Array.from(spec.palette)));
  if (spec.trns) chunks.push(chunk('tRNS', Uint8Array.from(spec.trns)));
  const z = deflateSync(Buffer.concat(parts));
  // Two IDAT chunks, as encoders may split the stream anywhere.
  const cut = Math.floor(z.length / 2);
  chunks.push(chunk('IDAT', z.subarray(0, cut)), chunk('IDAT', z.subarray(cut)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat([Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]), ...chunks]);
}
