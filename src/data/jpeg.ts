/**
 * JPEG images, read without a dependency. What photos are stored as is read: baseline and
 * extended sequential (SOF0, SOF1) and progressive (SOF2) Huffman-coded JPEG of 8-bit samples
 * (ITU-T T.81), with restart intervals, any sampling factors (4:4:4, 4:2:2, 4:2:0, 4:1:1, 4:4:0
 * and the rest), one component (grey) or three (YCbCr as JFIF defines it, or RGB when an Adobe
 * APP14 marker or the component ids say so), 8- and 16-bit quantization tables. The colour planes
 * are brought to full size as libjpeg does by default ("fancy" triangular upsampling where a plane
 * is half the width, half the height or both, replication otherwise), so the pixels come out as
 * libjpeg-turbo's float IDCT gives them, and within a level or so (at most 3 after the colour
 * conversion) of its default integer IDCT, which ImageMagick uses. An EXIF orientation (APP1 tag
 * 0x0112) is applied, so the picture comes out upright as viewers show it.
 *
 * Refused, each with a {@link DataError} that says so: arithmetic coding, 12-bit samples, lossless
 * and hierarchical JPEG, and four-component (CMYK, YCCK) files. A file that is cut short or
 * corrupt gets a {@link DataError} naming the file, never an error from deep inside.
 *
 * The decoder reads every scan into each component's coefficients first, then dequantizes and
 * inverse-transforms them (a separable float IDCT, rounded and clamped to 0..255 as the standard's
 * decoders do), upsamples, converts the colours and orients the picture.
 * @module
 */
import { DataError, readDataFile } from './errors.js';
import type { DecodedImage } from './image.js';
import { MAX_IMAGE_PIXELS } from './png.js';

/** Whether `bytes` start as a JPEG file does: the start-of-image marker and another marker (FF D8 FF). */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Reads and decodes a JPEG file. */
export function readJpeg(path: string): DecodedImage {
  return decodeJpeg(readDataFile(path), path);
}

/**
 * Decodes a JPEG file's bytes into 1 (grey) or 3 (RGB) channels. `name` names it in errors. Throws
 * a {@link DataError} saying what is wrong with a file that is not a JPEG, is cut short, is corrupt
 * or is of a kind this decoder does not read.
 */
export function decodeJpeg(bytes: Uint8Array, name = 'image'): DecodedImage {
  try {
    return decode(bytes, name);
  } catch (e) {
    if (e instanceof DataError) throw e;
    // A safety net: a check missed somewhere still reads as bad data, not as a crash.
    throw new DataError(`${name}: corrupt JPEG data (the decoder failed: ${(e as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Markers and segments

/** The hint the refusals give. */
const CONVERT = 'convert it to PNG or baseline JPEG (ImageMagick: convert IN.jpg OUT.png)';

/** The natural (row-major) index of each coefficient in zigzag order, the order the file stores them in. */
const ZIGZAG = (() => {
  const z = new Uint8Array(64);
  let i = 0;
  // Anti-diagonals d = row + column, walked up-right on even ones and down-left on odd ones.
  for (let d = 0; d < 15; d++) {
    const lo = Math.max(0, d - 7);
    const hi = Math.min(d, 7);
    if (d % 2 === 0) for (let r = hi; r >= lo; r--) z[i++] = r * 8 + (d - r);
    else for (let r = lo; r <= hi; r++) z[i++] = r * 8 + (d - r);
  }
  return z;
})();

/** Markers' names, for messages. */
function markerName(m: number): string {
  switch (m) {
    case 0xc4: return 'DHT';
    case 0xcc: return 'DAC';
    case 0xda: return 'SOS';
    case 0xdb: return 'DQT';
    case 0xdc: return 'DNL';
    case 0xdd: return 'DRI';
    case 0xfe: return 'COM';
  }
  if (m >= 0xc0 && m <= 0xcf) return `SOF${m - 0xc0}`;
  if (m >= 0xe0 && m <= 0xef) return `APP${m - 0xe0}`;
  return `marker FF${m.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** One colour component of the frame, with its coefficients. */
interface Component {
  id: number;
  /** Sampling factors. */
  h: number;
  v: number;
  /** Its quantization table's slot. */
  tq: number;
  /** Its size in samples: the image's, scaled by its sampling factors against the largest ones (rounded up). */
  width: number;
  height: number;
  /** Blocks per line and lines of blocks stored: whole MCUs' worth, which covers every block any scan codes. */
  blocksW: number;
  blocksH: number;
  /** 64 coefficients a block, natural order, not yet dequantized. */
  coefs: Int16Array;
  /** The quantization table (natural order), fixed when the component's first scan starts. */
  quant: Uint16Array | null;
  /** The DC prediction within a scan. */
  pred: number;
  /** The current scan's Huffman lookup tables (see {@link huffmanTable}). */
  dc: Uint16Array | null;
  ac: Uint16Array | null;
}

interface Frame {
  width: number;
  height: number;
  progressive: boolean;
  components: Component[];
  hmax: number;
  vmax: number;
  /** MCUs per line and lines of MCUs of an interleaved scan. */
  mcusX: number;
  mcusY: number;
}

function decode(bytes: Uint8Array, name: string): DecodedImage {
  const bad = (why: string) => new DataError(`${name}: ${why}`);
  if (!isJpeg(bytes)) throw bad('not a JPEG file (no start-of-image marker FF D8)');
  const quant: (Uint16Array | null)[] = [null, null, null, null];
  const dcTables: (Uint16Array | null)[] = [null, null, null, null];
  const acTables: (Uint16Array | null)[] = [null, null, null, null];
  let frame: Frame | null = null;
  let restartInterval = 0;
  let jfif = false;
  let adobeTransform = -1;
  let orientation = 0;
  let scans = 0;
  let pos = 2;
  for (;;) {
    const at = nextMarker(bytes, pos);
    if (at < 0) throw bad(scans ? 'truncated JPEG data (no end-of-image marker)' : 'truncated JPEG data (the file ends before any image data)');
    const marker = bytes[at + 1];
    pos = at + 2;
    if (marker === 0xd9) break; // EOI
    // Restart markers outside a scan and TEM stand alone; nothing to do.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === 0xd8) throw bad('corrupt JPEG data (a second start-of-image marker)');
    const what = markerName(marker);
    if (pos + 2 > bytes.length) throw bad(`truncated JPEG data (ends inside the ${what} segment)`);
    const length = (bytes[pos] << 8) | bytes[pos + 1];
    if (length < 2) throw bad(`corrupt JPEG data (${what} segment of length ${length})`);
    if (pos + length > bytes.length) throw bad(`truncated JPEG data (ends inside the ${what} segment)`);
    const seg = bytes.subarray(pos + 2, pos + length);
    pos += length;
    const short = () => bad(`corrupt JPEG data (${what} segment of ${length} bytes, too short for its contents)`);
    switch (marker) {
      case 0xc0:
      case 0xc1:
      case 0xc2:
        if (frame) throw bad('corrupt JPEG data (a second frame header)');
        frame = readFrame(seg, marker === 0xc2, short, bad);
        break;
      case 0xc3:
        throw bad(`lossless JPEG is not supported; ${CONVERT}`);
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xde:
      case 0xdf:
        throw bad(`hierarchical JPEG is not supported; ${CONVERT}`);
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        throw bad(`arithmetic-coded JPEG is not supported; ${CONVERT}`);
      case 0xdb:
        readQuantTables(seg, quant, short, bad);
        break;
      case 0xc4:
        readHuffmanTables(seg, dcTables, acTables, short, bad);
        break;
      case 0xdd:
        if (seg.length < 2) throw short();
        restartInterval = (seg[0] << 8) | seg[1];
        break;
      case 0xda: {
        if (!frame) throw bad('corrupt JPEG data (a scan before the frame header)');
        pos = readScan(bytes, pos, seg, frame, quant, dcTables, acTables, restartInterval, short, bad);
        scans++;
        break;
      }
      case 0xe0:
        if (startsWith(seg, 'JFIF\0')) jfif = true;
        break;
      case 0xe1:
        if (!orientation && startsWith(seg, 'Exif\0\0')) orientation = exifOrientation(seg.subarray(6));
        break;
      case 0xee:
        if (seg.length >= 12 && startsWith(seg, 'Adobe')) adobeTransform = seg[11];
        break;
      default:
        // APPn, COM, DNL and the JPGn extensions: nothing here needs them. Other codes are reserved.
        if (!(marker >= 0xe0 || marker === 0xdc || marker === 0xc8)) throw bad(`corrupt JPEG data (an unknown ${what})`);
    }
  }
  if (!frame) throw bad('corrupt JPEG data (no frame header: no SOF marker before the end of the image)');
  if (!scans) throw bad('corrupt JPEG data (no image data: no scan before the end of the image)');
  // The colour space, as libjpeg decides it: JFIF means YCbCr, then Adobe's transform flag, then the component ids.
  const ids = frame.components.map((c) => c.id).join(',');
  const rgb = frame.components.length === 3 && !jfif && (adobeTransform >= 0 ? adobeTransform === 0 : ids === '82,71,66');
  return assemble(frame, rgb, orientation || 1);
}

/** Where the next marker (FF, then a byte neither 00 nor FF) starts, from `pos`; bytes before it (fill, stray data) are skipped. -1 at the end of the data. */
function nextMarker(bytes: Uint8Array, pos: number): number {
  for (let p = pos; p + 1 < bytes.length; p++) {
    if (bytes[p] === 0xff) {
      const b = bytes[p + 1];
      if (b !== 0 && b !== 0xff) return p;
    }
  }
  return -1;
}

function startsWith(seg: Uint8Array, text: string): boolean {
  if (seg.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (seg[i] !== text.charCodeAt(i)) return false;
  return true;
}

function readFrame(seg: Uint8Array, progressive: boolean, short: () => DataError, bad: (why: string) => DataError): Frame {
  if (seg.length < 6) throw short();
  const precision = seg[0];
  const height = (seg[1] << 8) | seg[2];
  const width = (seg[3] << 8) | seg[4];
  const n = seg[5];
  if (n === 4) throw bad(`CMYK (four-component) JPEG is not supported; convert it to PNG (ImageMagick: convert IN.jpg -colorspace sRGB OUT.png)`);
  if (precision === 12) throw bad(`12-bit JPEG is not supported; ${CONVERT}`);
  if (precision !== 8) throw bad(`corrupt JPEG data (a sample precision of ${precision} bits)`);
  if (n !== 1 && n !== 3) throw bad(`a JPEG of ${n} colour components is not supported (1, grey, or 3, colour, are read)`);
  if (seg.length < 6 + 3 * n) throw short();
  if (height === 0) throw bad('a JPEG whose height is given by a DNL marker (height 0 in the frame header) is not supported');
  if (width === 0) throw bad('corrupt JPEG data (an image 0 pixels wide)');
  if (width * height > MAX_IMAGE_PIXELS) throw bad(`${width}x${height} pixels is too large an image to classify`);
  const parts: { id: number; h: number; v: number; tq: number }[] = [];
  for (let i = 0; i < n; i++) {
    const id = seg[6 + 3 * i];
    const h = seg[7 + 3 * i] >> 4;
    const v = seg[7 + 3 * i] & 15;
    const tq = seg[8 + 3 * i];
    if (h < 1 || h > 4 || v < 1 || v > 4) throw bad(`corrupt JPEG data (sampling factors ${h}x${v} for component ${id}; 1 to 4 allowed)`);
    if (tq > 3) throw bad(`corrupt JPEG data (quantization table ${tq} for component ${id}; 0 to 3 allowed)`);
    if (parts.some((p) => p.id === id)) throw bad(`corrupt JPEG data (component id ${id} twice in the frame header)`);
    parts.push({ id, h, v, tq });
  }
  const hmax = Math.max(...parts.map((p) => p.h));
  const vmax = Math.max(...parts.map((p) => p.v));
  const mcusX = Math.ceil(width / (8 * hmax));
  const mcusY = Math.ceil(height / (8 * vmax));
  const components = parts.map(({ id, h, v, tq }): Component => {
    const blocksW = mcusX * h;
    const blocksH = mcusY * v;
    return {
      id, h, v, tq, blocksW, blocksH,
      width: Math.ceil((width * h) / hmax),
      height: Math.ceil((height * v) / vmax),
      coefs: new Int16Array(blocksW * blocksH * 64),
      quant: null, pred: 0, dc: null, ac: null,
    };
  });
  return { width, height, progressive, components, hmax, vmax, mcusX, mcusY };
}

function readQuantTables(seg: Uint8Array, quant: (Uint16Array | null)[], short: () => DataError, bad: (why: string) => DataError): void {
  let i = 0;
  while (i < seg.length) {
    const pq = seg[i] >> 4;
    const tq = seg[i] & 15;
    i++;
    if (pq > 1) throw bad(`corrupt JPEG data (a quantization table of precision code ${pq})`);
    if (tq > 3) throw bad(`corrupt JPEG data (quantization table slot ${tq}; 0 to 3 allowed)`);
    if (i + 64 * (pq + 1) > seg.length) throw short();
    // A new array each time: a component keeps the table it started with even when the slot is redefined.
    const t = new Uint16Array(64);
    for (let k = 0; k < 64; k++) t[ZIGZAG[k]] = pq ? (seg[i + 2 * k] << 8) | seg[i + 2 * k + 1] : seg[i + k];
    quant[tq] = t;
    i += 64 * (pq + 1);
  }
}

function readHuffmanTables(seg: Uint8Array, dc: (Uint16Array | null)[], ac: (Uint16Array | null)[], short: () => DataError, bad: (why: string) => DataError): void {
  let i = 0;
  while (i < seg.length) {
    const tc = seg[i] >> 4;
    const th = seg[i] & 15;
    if (tc > 1 || th > 3) throw bad(`corrupt JPEG data (Huffman table class ${tc}, slot ${th})`);
    if (i + 17 > seg.length) throw short();
    const counts = seg.subarray(i + 1, i + 17);
    let total = 0;
    for (let l = 0; l < 16; l++) total += counts[l];
    if (i + 17 + total > seg.length) throw short();
    const table = huffmanTable(counts, seg.subarray(i + 17, i + 17 + total));
    if (!table) throw bad(`corrupt JPEG data (Huffman table ${tc ? 'AC' : 'DC'} ${th} has more codes than its code lengths allow)`);
    (tc ? ac : dc)[th] = table;
    i += 17 + total;
  }
}

/**
 * A Huffman table as a lookup on the next 16 bits of the data: entry `(length << 8) | symbol` for
 * every 16-bit string that starts with a code, 0 for the strings that start with none. The codes
 * are the canonical ones T.81 Annex C assigns from the counts of codes of each length. Null when
 * the counts are more than the lengths have codes for.
 */
function huffmanTable(counts: Uint8Array, symbols: Uint8Array): Uint16Array | null {
  const table = new Uint16Array(1 << 16);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1];
    if (code + n > 1 << len) return null;
    const span = 1 << (16 - len);
    for (let i = 0; i < n; i++) {
      table.fill((len << 8) | symbols[k++], code * span, (code + 1) * span);
      code++;
    }
    code <<= 1;
  }
  return table;
}

/** The orientation (1 to 8) an EXIF block (the TIFF structure after "Exif\0\0") gives, 0 when none or unreadable. */
function exifOrientation(t: Uint8Array): number {
  const little = t[0] === 0x49 && t[1] === 0x49;
  if (!little && !(t[0] === 0x4d && t[1] === 0x4d)) return 0;
  const u16 = (i: number) => (i + 2 > t.length ? -1 : little ? t[i] | (t[i + 1] << 8) : (t[i] << 8) | t[i + 1]);
  const u32 = (i: number) => (i + 4 > t.length ? -1 : little ? (t[i] | (t[i + 1] << 8) | (t[i + 2] << 16) | (t[i + 3] << 24)) >>> 0 : ((t[i] << 24) | (t[i + 1] << 16) | (t[i + 2] << 8) | t[i + 3]) >>> 0);
  if (u16(2) !== 42) return 0;
  const ifd = u32(4);
  if (ifd < 8) return 0;
  const entries = u16(ifd);
  for (let j = 0; j < entries; j++) {
    const e = ifd + 2 + 12 * j;
    if (e + 12 > t.length) return 0;
    if (u16(e) !== 0x0112) continue;
    const type = u16(e + 2);
    const value = type === 3 ? u16(e + 8) : type === 4 ? u32(e + 8) : 0;
    return value >= 1 && value <= 8 ? value : 0;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Entropy-coded data

/**
 * Reads a scan's entropy-coded bits, most significant first, with the stuffed zero after each FF
 * data byte taken out. At a marker it stops and gives zero bits, which decoding may look ahead
 * into but not use ({@link BitReader.overrun}); at the end of the file it throws: the file was cut
 * short.
 */
class BitReader {
  /** Bits not yet used: the low `nbits` of `acc`. */
  private acc = 0;
  private nbits = 0;
  /** Whether a marker has been met (`pos` is at its FF). */
  private atMarker = false;
  /** How many of the `nbits` are the zeros given after a marker (the lowest ones). */
  private pad = 0;
  /** Blocks left that an end-of-band run (progressive AC scans) covers. */
  eobrun = 0;

  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    private readonly truncated: () => DataError,
    private readonly corrupt: (why: string) => DataError,
  ) {}

  /** Tops the bits up to more than 24. */
  private fill(): void {
    const bytes = this.bytes;
    while (this.nbits <= 24) {
      let b = 0;
      if (this.atMarker) this.pad += 8;
      else {
        if (this.pos >= bytes.length) throw this.truncated();
        b = bytes[this.pos];
        if (b === 0xff) {
          if (this.pos + 1 >= bytes.length) throw this.truncated();
          if (bytes[this.pos + 1] === 0) this.pos += 2;
          else {
            this.atMarker = true;
            this.pad += 8;
            b = 0;
          }
        } else this.pos++;
      }
      this.acc = (this.acc << 8) | b;
      this.nbits += 8;
    }
  }

  /** The next `n` (0 to 16) bits as an unsigned number. */
  bits(n: number): number {
    if (this.nbits < n) this.fill();
    this.nbits -= n;
    return (this.acc >>> this.nbits) & ((1 << n) - 1);
  }

  bit(): number {
    if (this.nbits < 1) this.fill();
    this.nbits--;
    return (this.acc >>> this.nbits) & 1;
  }

  /** The next Huffman-coded symbol. */
  decode(table: Uint16Array): number {
    if (this.nbits < 16) this.fill();
    const e = table[(this.acc >>> (this.nbits - 16)) & 0xffff];
    if (e === 0) throw this.corrupt('a bad Huffman code in the scan');
    this.nbits -= e >> 8;
    return e & 0xff;
  }

  /** The `s`-bit signed value that follows a symbol of magnitude category `s` (T.81's RECEIVE and EXTEND). */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    if (s > 16) throw this.corrupt(`a coefficient of ${s} bits in the scan`);
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** Whether bits past the scan's data (the zeros after a marker) have been used: the scan's data ended too soon. */
  overrun(): boolean {
    return this.nbits < this.pad;
  }

  /** At the end of a restart interval: drops the bits left in the byte and steps over the RSTn marker. */
  restart(): void {
    const bytes = this.bytes;
    this.acc = 0;
    this.nbits = 0;
    this.pad = 0;
    this.eobrun = 0;
    // The marker should be next; anything before it (fill bytes, stray data) is skipped.
    const at = nextMarker(bytes, this.pos);
    if (at < 0) throw this.truncated();
    this.pos = at;
    const m = bytes[at + 1];
    if (m >= 0xd0 && m <= 0xd7) {
      this.pos += 2;
      this.atMarker = false;
    } else this.atMarker = true; // Some other marker: the scan is cut short, which the next block finds.
  }
}

/** Reads an SOS header and decodes its scan into the components' coefficients. Returns where the data after the scan starts. */
function readScan(
  bytes: Uint8Array, pos: number, seg: Uint8Array, frame: Frame, quant: (Uint16Array | null)[], dcTables: (Uint16Array | null)[], acTables: (Uint16Array | null)[],
  restartInterval: number, short: () => DataError, bad: (why: string) => DataError,
): number {
  const n = seg[0];
  if (n < 1 || n > 4) throw bad(`corrupt JPEG data (a scan of ${n} components)`);
  if (seg.length < 4 + 2 * n) throw short();
  const comps: Component[] = [];
  const tables: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = seg[1 + 2 * i];
    const c = frame.components.find((x) => x.id === id);
    if (!c) throw bad(`corrupt JPEG data (a scan of component ${id}, which the frame does not have)`);
    if (comps.includes(c)) throw bad(`corrupt JPEG data (component ${id} twice in one scan)`);
    comps.push(c);
    tables.push(seg[2 + 2 * i]);
  }
  const ss = seg[1 + 2 * n];
  const se = seg[2 + 2 * n];
  const ah = seg[3 + 2 * n] >> 4;
  const al = seg[3 + 2 * n] & 15;
  let kind: 'sequential' | 'dcFirst' | 'dcRefine' | 'acFirst' | 'acRefine' = 'sequential';
  if (frame.progressive) {
    const dc = ss === 0;
    if (dc ? se !== 0 : se < ss || se > 63 || n !== 1) throw bad(`corrupt JPEG data (a progressive scan of coefficients ${ss} to ${se} over ${n} components)`);
    if (al > 13) throw bad(`corrupt JPEG data (a progressive scan with point transform ${al})`);
    kind = dc ? (ah ? 'dcRefine' : 'dcFirst') : ah ? 'acRefine' : 'acFirst';
  }
  if (n > 1 && comps.reduce((s, c) => s + c.h * c.v, 0) > 10) throw bad('corrupt JPEG data (more than 10 blocks in an MCU)');
  for (let i = 0; i < n; i++) {
    const c = comps[i];
    if (!c.quant) {
      c.quant = quant[c.tq];
      if (!c.quant) throw bad(`corrupt JPEG data (no quantization table ${c.tq}, which component ${c.id} uses)`);
    }
    const td = tables[i] >> 4;
    const ta = tables[i] & 15;
    const needDc = kind === 'sequential' || kind === 'dcFirst';
    const needAc = kind === 'sequential' || kind === 'acFirst' || kind === 'acRefine';
    c.dc = td < 4 ? dcTables[td] : null;
    c.ac = ta < 4 ? acTables[ta] : null;
    if (needDc && !c.dc) throw bad(`corrupt JPEG data (no DC Huffman table ${td}, which a scan of component ${c.id} uses)`);
    if (needAc && !c.ac) throw bad(`corrupt JPEG data (no AC Huffman table ${ta}, which a scan of component ${c.id} uses)`);
    c.pred = 0;
  }
  const reader = new BitReader(bytes, pos, () => bad('truncated JPEG data (ends inside the scan)'), (why) => bad(`corrupt JPEG data (${why})`));
  const corrupt = () => bad('corrupt JPEG data (a run of coefficients past the end of a block)');
  let block: (c: Component, off: number) => void;
  switch (kind) {
    case 'sequential':
      block = (c, off) => decodeSequential(reader, c, off, corrupt);
      break;
    case 'dcFirst':
      block = (c, off) => {
        c.pred += reader.receiveExtend(reader.decode(c.dc as Uint16Array));
        c.coefs[off] = c.pred * (1 << al);
      };
      break;
    case 'dcRefine':
      block = (c, off) => {
        if (reader.bit()) c.coefs[off] |= 1 << al;
      };
      break;
    case 'acFirst':
      block = (c, off) => decodeAcFirst(reader, c, off, ss, se, al, corrupt);
      break;
    case 'acRefine':
      block = (c, off) => decodeAcRefine(reader, c, off, ss, se, al);
      break;
  }
  // One component: its own blocks one by one, only those its size covers. Several: whole MCUs.
  const single = n === 1;
  const c0 = comps[0];
  const mcusX = single ? Math.ceil(c0.width / 8) : frame.mcusX;
  const mcusY = single ? Math.ceil(c0.height / 8) : frame.mcusY;
  const total = mcusX * mcusY;
  for (let m = 0; m < total; m++) {
    if (restartInterval && m > 0 && m % restartInterval === 0) {
      reader.restart();
      for (const c of comps) c.pred = 0;
    }
    const mx = m % mcusX;
    const my = (m - mx) / mcusX;
    if (single) block(c0, (my * c0.blocksW + mx) * 64);
    else {
      for (const c of comps) {
        for (let v = 0; v < c.v; v++) {
          const row = (my * c.v + v) * c.blocksW + mx * c.h;
          for (let h = 0; h < c.h; h++) block(c, (row + h) * 64);
        }
      }
    }
    if (reader.overrun()) throw bad('corrupt JPEG data (the scan ends before its last block)');
  }
  return reader.pos;
}

/** A block of a sequential scan: the DC difference, then the AC coefficients as runs of zeros and values. */
function decodeSequential(r: BitReader, c: Component, off: number, corrupt: () => DataError): void {
  const coefs = c.coefs;
  const ac = c.ac as Uint16Array;
  c.pred += r.receiveExtend(r.decode(c.dc as Uint16Array));
  coefs[off] = c.pred;
  for (let k = 1; k < 64; ) {
    const rs = r.decode(ac);
    const s = rs & 15;
    const run = rs >> 4;
    if (s === 0) {
      if (run !== 15) break; // End of block.
      k += 16; // Sixteen zeros.
      continue;
    }
    k += run;
    if (k > 63) throw corrupt();
    coefs[off + ZIGZAG[k]] = r.receiveExtend(s);
    k++;
  }
}

/** A block of a progressive scan's first pass over AC coefficients `ss` to `se`, scaled up by `2^al`. */
function decodeAcFirst(r: BitReader, c: Component, off: number, ss: number, se: number, al: number, corrupt: () => DataError): void {
  if (r.eobrun > 0) {
    r.eobrun--;
    return;
  }
  const coefs = c.coefs;
  const ac = c.ac as Uint16Array;
  const scale = 1 << al;
  for (let k = ss; k <= se; ) {
    const rs = r.decode(ac);
    const s = rs & 15;
    const run = rs >> 4;
    if (s === 0) {
      if (run < 15) {
        // End of band, here and in the next 2^run - 1 + (run bits) blocks.
        r.eobrun = (1 << run) - 1 + r.bits(run);
        break;
      }
      k += 16;
      continue;
    }
    k += run;
    if (k > 63) throw corrupt();
    coefs[off + ZIGZAG[k]] = r.receiveExtend(s) * scale;
    k++;
  }
}

/**
 * A block of a progressive refinement pass over AC coefficients `ss` to `se` (T.81 G.1.2.3): one
 * more bit of each coefficient already non-zero, and the coefficients that become non-zero now
 * (each +-2^al), placed by counting the zero ones between.
 */
function decodeAcRefine(r: BitReader, c: Component, off: number, ss: number, se: number, al: number): void {
  const coefs = c.coefs;
  const ac = c.ac as Uint16Array;
  const p1 = 1 << al;
  const m1 = -1 << al;
  let k = ss;
  if (r.eobrun === 0) {
    for (; k <= se; k++) {
      const rs = r.decode(ac);
      const s = rs & 15;
      let run = rs >> 4;
      let value = 0;
      if (s !== 0) value = r.bit() ? p1 : m1; // s is 1 in a valid file.
      else if (run !== 15) {
        r.eobrun = (1 << run) + r.bits(run);
        break;
      }
      // Past `run` coefficients that are zero so far (refining the non-zero ones between), to the next zero one.
      while (k <= se) {
        const z = off + ZIGZAG[k];
        const coef = coefs[z];
        if (coef !== 0) {
          if (r.bit() && (coef & p1) === 0) coefs[z] = coef >= 0 ? coef + p1 : coef + m1;
        } else {
          if (run === 0) {
            if (value) coefs[z] = value;
            break;
          }
          run--;
        }
        k++;
      }
    }
  }
  if (r.eobrun > 0) {
    // Within an end-of-band run: only the correction bits of the non-zero coefficients left.
    for (; k <= se; k++) {
      const z = off + ZIGZAG[k];
      const coef = coefs[z];
      if (coef !== 0 && r.bit() && (coef & p1) === 0) coefs[z] = coef >= 0 ? coef + p1 : coef + m1;
    }
    r.eobrun--;
  }
}

// ---------------------------------------------------------------------------------------------
// Samples

/** 0.5 cos(n pi / 16), the 1-D IDCT's weights (the 1/sqrt(2) of the DC term is k4's). */
const K1 = 0.5 * Math.cos(Math.PI / 16);
const K2 = 0.5 * Math.cos((2 * Math.PI) / 16);
const K3 = 0.5 * Math.cos((3 * Math.PI) / 16);
const K4 = 0.5 * Math.cos((4 * Math.PI) / 16);
const K5 = 0.5 * Math.cos((5 * Math.PI) / 16);
const K6 = 0.5 * Math.cos((6 * Math.PI) / 16);
const K7 = 0.5 * Math.cos((7 * Math.PI) / 16);

/**
 * The 1-D IDCT of the eight values `src[s + k * step]` into `dst[d + x * dstep]`, split into its
 * even and odd frequencies (f(x) = even + odd, f(7 - x) = even - odd).
 */
function idct8(src: Float64Array, s: number, step: number, dst: Float64Array, d: number, dstep: number): void {
  const f0 = src[s];
  const f1 = src[s + step];
  const f2 = src[s + 2 * step];
  const f3 = src[s + 3 * step];
  const f4 = src[s + 4 * step];
  const f5 = src[s + 5 * step];
  const f6 = src[s + 6 * step];
  const f7 = src[s + 7 * step];
  const ee0 = K4 * (f0 + f4);
  const ee1 = K4 * (f0 - f4);
  const eo0 = K2 * f2 + K6 * f6;
  const eo1 = K6 * f2 - K2 * f6;
  const e0 = ee0 + eo0;
  const e3 = ee0 - eo0;
  const e1 = ee1 + eo1;
  const e2 = ee1 - eo1;
  const o0 = K1 * f1 + K3 * f3 + K5 * f5 + K7 * f7;
  const o1 = K3 * f1 - K7 * f3 - K1 * f5 - K5 * f7;
  const o2 = K5 * f1 - K1 * f3 + K7 * f5 + K3 * f7;
  const o3 = K7 * f1 - K5 * f3 + K3 * f5 - K1 * f7;
  dst[d] = e0 + o0;
  dst[d + dstep] = e1 + o1;
  dst[d + 2 * dstep] = e2 + o2;
  dst[d + 3 * dstep] = e3 + o3;
  dst[d + 4 * dstep] = e3 - o3;
  dst[d + 5 * dstep] = e2 - o2;
  dst[d + 6 * dstep] = e1 - o1;
  dst[d + 7 * dstep] = e0 - o0;
}

/** Size of the scratch space {@link idctBlock} takes: the dequantized block, the rows' transforms and one column's. */
const IDCT_SCRATCH = 136;

/**
 * Dequantizes a block and inverse-transforms it (T.81 A.3.3) into 8x8 samples at `out[o]`, rows
 * `stride` apart, level-shifted by 128, rounded and clamped to 0..255. Separable: eight 1-D IDCTs
 * ({@link idct8}) over the rows, then eight over the columns. `tmp` holds {@link IDCT_SCRATCH} values.
 */
function idctBlock(coefs: Int16Array, off: number, q: Uint16Array, tmp: Float64Array, out: Uint8Array, o: number, stride: number): void {
  let acZero = true;
  for (let i = 1; i < 64; i++) {
    if (coefs[off + i] !== 0) {
      acZero = false;
      break;
    }
  }
  if (acZero) {
    const v = clamp((coefs[off] * q[0]) / 8);
    for (let y = 0; y < 8; y++) out.fill(v, o + y * stride, o + y * stride + 8);
    return;
  }
  for (let i = 0; i < 64; i++) tmp[i] = coefs[off + i] * q[i];
  for (let row = 0; row < 64; row += 8) {
    let flat = true;
    for (let k = 1; k < 8 && flat; k++) flat = tmp[row + k] === 0;
    if (flat) tmp.fill(K4 * tmp[row], 64 + row, 64 + row + 8);
    else idct8(tmp, row, 1, tmp, 64 + row, 1);
  }
  for (let x = 0; x < 8; x++) {
    idct8(tmp, 64 + x, 8, tmp, 128, 1);
    for (let y = 0; y < 8; y++) out[o + x + y * stride] = clamp(tmp[128 + y]);
  }
}

/** A level-shifted IDCT output as a sample: +128, rounded half up, clamped to 0..255. */
function clamp(f: number): number {
  const v = f + 128.5;
  return v <= 0 ? 0 : v >= 255 ? 255 : v | 0;
}

/** A component's samples, its blocks inverse-transformed: `stride` per row, `c.width` x `c.height` of them meaningful. */
function componentPlane(c: Component): { data: Uint8Array; stride: number } {
  const bw = Math.ceil(c.width / 8);
  const bh = Math.ceil(c.height / 8);
  const stride = bw * 8;
  const data = new Uint8Array(stride * bh * 8);
  // A component no scan reached has all-zero coefficients; any table gives mid-grey.
  const q = c.quant ?? new Uint16Array(64);
  const tmp = new Float64Array(IDCT_SCRATCH);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) idctBlock(c.coefs, (by * c.blocksW + bx) * 64, q, tmp, data, by * 8 * stride + bx * 8, stride);
  }
  return { data, stride };
}

/**
 * Upsampling of one component to the image's size, a row at a time. The triangular ("fancy")
 * filters are libjpeg's: each output sample is 3/4 the nearest input sample and 1/4 the next
 * nearest, across and down, with libjpeg's alternating rounding so the results match it.
 */
type Upsampler = (y: number, out: Uint8Array) => Uint8Array;

function upsampler(c: Component, plane: { data: Uint8Array; stride: number }, frame: Frame): Upsampler {
  const { data, stride } = plane;
  const n = c.width;
  const last = c.height - 1;
  const W = frame.width;
  const hr = frame.hmax / c.h;
  const vr = frame.vmax / c.v;
  if (hr === 1 && vr === 1) return (y) => data.subarray(y * stride, y * stride + W);
  // Too narrow for the fancy filters (as libjpeg: fewer than three samples across), or another ratio: replicate.
  const fancy = n > 2 || (hr === 1 && vr === 2);
  /** For vertical upsampling: the start of the stored row that output row `y` takes a quarter from (the neighbour on its side, clamped at the edges). */
  const farRow = (y: number) => (y & 1 ? Math.min((y >> 1) + 1, last) : Math.max((y >> 1) - 1, 0)) * stride;
  if (fancy && hr === 2 && vr === 1) {
    return (y, out) => {
      const b = y * stride;
      out[0] = data[b];
      out[1] = (3 * data[b] + data[b + 1] + 2) >> 2;
      for (let i = 1; i < n - 1; i++) {
        const a = 3 * data[b + i];
        out[2 * i] = (a + data[b + i - 1] + 1) >> 2;
        out[2 * i + 1] = (a + data[b + i + 1] + 2) >> 2;
      }
      out[2 * n - 2] = (3 * data[b + n - 1] + data[b + n - 2] + 1) >> 2;
      out[2 * n - 1] = data[b + n - 1];
      return out;
    };
  }
  if (fancy && hr === 1 && vr === 2) {
    return (y, out) => {
      const near = (y >> 1) * stride;
      const far = farRow(y);
      const bias = y & 1 ? 2 : 1;
      for (let i = 0; i < n; i++) out[i] = (3 * data[near + i] + data[far + i] + bias) >> 2;
      return out;
    };
  }
  if (fancy && hr === 2 && vr === 2) {
    const sum = new Int32Array(n);
    return (y, out) => {
      // Down first (3/4 the nearer row, 1/4 the further, at 4x), then across (at 16x in all).
      const near = (y >> 1) * stride;
      const far = farRow(y);
      for (let i = 0; i < n; i++) sum[i] = 3 * data[near + i] + data[far + i];
      out[0] = (4 * sum[0] + 8) >> 4;
      out[1] = (3 * sum[0] + sum[1] + 7) >> 4;
      for (let i = 1; i < n - 1; i++) {
        const a = 3 * sum[i];
        out[2 * i] = (a + sum[i - 1] + 8) >> 4;
        out[2 * i + 1] = (a + sum[i + 1] + 7) >> 4;
      }
      out[2 * n - 2] = (3 * sum[n - 1] + sum[n - 2] + 8) >> 4;
      out[2 * n - 1] = (4 * sum[n - 1] + 7) >> 4;
      return out;
    };
  }
  const xs = new Int32Array(W);
  for (let x = 0; x < W; x++) xs[x] = Math.floor((x * c.h) / frame.hmax);
  return (y, out) => {
    const b = Math.floor((y * c.v) / frame.vmax) * stride;
    for (let x = 0; x < W; x++) out[x] = data[b + xs[x]];
    return out;
  };
}

/** YCbCr to RGB (JFIF), in 16-bit fixed point: the Cr term of red, the Cb term of blue, and green's two terms (scaled, rounding bias included). */
const FIX = (x: number) => Math.round(x * 65536);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CB_G = new Int32Array(256);
const CR_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const d = i - 128;
  CR_R[i] = (FIX(1.402) * d + 32768) >> 16;
  CB_B[i] = (FIX(1.772) * d + 32768) >> 16;
  CB_G[i] = -FIX(0.34414) * d;
  CR_G[i] = -FIX(0.71414) * d + 32768;
}

/** Each byte value as a sample in [0, 1]. */
const UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);
/** `CLAMPED[v + CLAMP_OFFSET]`: colour conversion's result `v` (-227 to 482) clamped to 0..255, as a sample in [0, 1]. */
const CLAMP_OFFSET = 384;
const CLAMPED = Float32Array.from({ length: 1024 }, (_, i) => UNIT[Math.max(0, Math.min(255, i - CLAMP_OFFSET))]);

/**
 * Where EXIF orientation `orientation` puts the stored pixel (x, y) of a `W` x `H` image when it
 * is shown upright: at pixel `a * x + b * y + c` of the upright image (row-major), which is `W`
 * wide for orientations 1 to 4 and `H` wide, turned or mirrored along a diagonal, for 5 to 8. The
 * orientation tells where the stored rows and columns belong: 1 as stored, 2 mirrored, 3 turned
 * half round, 4 upside down, 5 mirrored along the diagonal, 6 turned a quarter clockwise to show,
 * 7 mirrored along the other diagonal, 8 turned a quarter anticlockwise to show.
 */
function placement(orientation: number, W: number, H: number): [a: number, b: number, c: number] {
  switch (orientation) {
    case 2: return [-1, W, W - 1];
    case 3: return [-1, -W, H * W - 1];
    case 4: return [1, -W, (H - 1) * W];
    case 5: return [H, 1, 0];
    case 6: return [H, -1, H - 1];
    case 7: return [-H, -1, W * H - 1];
    case 8: return [-H, 1, (W - 1) * H];
    default: return [1, W, 0];
  }
}

/** The image: planes upsampled, colours converted, samples in [0, 1], placed upright (EXIF `orientation`). */
function assemble(frame: Frame, rgb: boolean, orientation: number): DecodedImage {
  const W = frame.width;
  const H = frame.height;
  const nc = frame.components.length as 1 | 3;
  const ups = frame.components.map((c) => upsampler(c, componentPlane(c), frame));
  const rows = frame.components.map((c) => new Uint8Array(Math.max(W, 2 * c.width) + 8));
  const data = new Float32Array(W * H * nc);
  const [a, b, c] = placement(orientation, W, H);
  const step = a * nc;
  for (let y = 0; y < H; y++) {
    let o = (b * y + c) * nc;
    if (nc === 1) {
      const r0 = ups[0](y, rows[0]);
      for (let x = 0; x < W; x++, o += step) data[o] = UNIT[r0[x]];
      continue;
    }
    const r0 = ups[0](y, rows[0]);
    const r1 = ups[1](y, rows[1]);
    const r2 = ups[2](y, rows[2]);
    if (rgb) {
      for (let x = 0; x < W; x++, o += step) {
        data[o] = UNIT[r0[x]];
        data[o + 1] = UNIT[r1[x]];
        data[o + 2] = UNIT[r2[x]];
      }
      continue;
    }
    for (let x = 0; x < W; x++, o += step) {
      const lum = r0[x];
      const cb = r1[x];
      const cr = r2[x];
      const r = lum + CR_R[cr];
      const g = lum + ((CB_G[cb] + CR_G[cr]) >> 16);
      const bl = lum + CB_B[cb];
      data[o] = CLAMPED[r + CLAMP_OFFSET];
      data[o + 1] = CLAMPED[g + CLAMP_OFFSET];
      data[o + 2] = CLAMPED[bl + CLAMP_OFFSET];
    }
  }
  const turned = orientation >= 5 && orientation <= 8;
  return { width: turned ? H : W, height: turned ? W : H, channels: nc, data };
}
