/**
 * Image files as model inputs. {@link readImage} reads a PNG (`png.ts`) or JPEG (`jpeg.ts`) file,
 * told apart by their first bytes, into a {@link DecodedImage}; {@link imageInput} then makes one
 * model input of it: its channels, size and background made what the model takes. How the size is
 * fitted when the image's shape is not the model's ({@link ImageFit}) defaults to keeping the
 * aspect ratio and filling the rest with the picture's border colour, as Fashion-MNIST and MNIST
 * were made (each object scaled to fit the square and centred on it); with `trim`, the margins of
 * a plain background are cut away first, as Fashion-MNIST's photos were trimmed.
 * @module
 */
import { DataError, readDataFile } from './errors.js';
import { decodeJpeg, isJpeg } from './jpeg.js';
import { decodePng, isPng } from './png.js';

/** A decoded image: `channels` samples per pixel (1 grey, 2 grey and alpha, 3 RGB, 4 RGBA), row-major, each in [0, 1]. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** `height * width * channels` samples, pixel by pixel. */
  data: Float32Array;
}

/** The image formats {@link readImage} reads. */
export const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** Whether `bytes` (a file's first bytes) start as a PNG or JPEG file does. */
export function isImage(bytes: Uint8Array): boolean {
  return isPng(bytes) || isJpeg(bytes);
}

/**
 * Reads and decodes a PNG or JPEG file, by what its first bytes say whatever its name (a file
 * that is neither is refused by the decoder its name calls for, so the message says what is
 * wrong with it as such).
 */
export function readImage(path: string): DecodedImage {
  const bytes = readDataFile(path);
  if (isPng(bytes)) return decodePng(bytes, path);
  if (isJpeg(bytes) || /\.jpe?g$/i.test(path)) return decodeJpeg(bytes, path);
  if (/\.png$/i.test(path)) return decodePng(bytes, path);
  throw new DataError(`${path}: neither a PNG nor a JPEG file`);
}

/**
 * How an image whose shape is not the model's is made its size: `pad` scales it to fit inside and
 * fills the margins with the mean colour of its border (as Fashion-MNIST's and MNIST's objects were
 * centred on their squares); `crop` scales it to cover and cuts the middle out; `stretch` scales
 * each axis on its own, distorting the shape.
 */
export type ImageFit = 'pad' | 'crop' | 'stretch';

export const IMAGE_FITS: readonly ImageFit[] = ['pad', 'crop', 'stretch'];

/** How {@link imageInput} makes an image into a model's input. */
export interface ImageInputOptions {
  /**
   * Invert the image (1 - v), for a dark object on a light ground when the model learnt light
   * objects on black (as Fashion-MNIST and MNIST store them). Transparent parts count as the
   * ground: black without inverting, white before it, so black in the input either way.
   */
  invert?: boolean;
  /** How a shape other than the model's is fitted (default `pad`). */
  fit?: ImageFit;
  /**
   * First cut away the margins of the background: the rows and columns at the edges whose pixels
   * all lie within {@link TRIM_TOLERANCE} of the corners' colour, as Fashion-MNIST's photos were
   * trimmed before they were scaled and centred (`pad` then fills with that colour). For a picture
   * of one object on a plain ground that is framed otherwise than the model's data.
   */
  trim?: boolean;
}

/** How far (root mean square over the channels, in [0, 1]) a pixel may lie from the background's colour and still be trimmed: Fashion-MNIST's 5%. */
export const TRIM_TOLERANCE = 0.05;

/** What {@link imageInput} did to fit the image. */
export interface ImageInput {
  /** `[C, H, W]`, each value in [0, 1] (to be normalised as the model's data were). */
  data: Float32Array;
  /** The changes made, in words (empty when the image was already of the model's shape). */
  changes: string[];
  /** The same without the sizes (`trimmed`, `resized and padded`), to tell what was done to many images of different sizes in a line. */
  kinds: string[];
}

/**
 * One model input of `image` for a model taking `[c, h, w]` images in [0, 1]: alpha composited on
 * the ground ({@link ImageInputOptions.invert}), colour made grey (ITU-R BT.601 luma, as most image
 * libraries do) for a one-channel model or grey repeated for a three-channel one, and the size
 * made `w` x `h` as {@link ImageInputOptions.fit} says, by area averaging when shrinking and
 * bilinear interpolation when enlarging; with {@link ImageInputOptions.trim}, the background's
 * margins cut away before.
 */
export function imageInput(image: DecodedImage, shape: readonly number[], opts: ImageInputOptions = {}): ImageInput {
  const [c, h, w] = shape;
  if (shape.length !== 3 || !(c === 1 || c === 3)) throw new DataError(`the model takes inputs [${shape.join(', ')}]; images are read for models of one or three channels`);
  const fit = opts.fit ?? 'pad';
  if (!IMAGE_FITS.includes(fit)) throw new DataError(`fit must be one of ${IMAGE_FITS.join(', ')}, got ${fit}`);
  const changes: string[] = [];
  const kinds: string[] = [];
  /** Records a change, in full and without its sizes. */
  const did = (full: string, kind = full) => {
    changes.push(full);
    kinds.push(kind);
  };
  let W = image.width;
  let H = image.height;
  const pixels = W * H;
  const colour = image.channels >= 3;
  const hasAlpha = image.channels === 2 || image.channels === 4;
  const ground = opts.invert ? 1 : 0;
  // Planes of the model's channels at the image's size.
  let planes: Float32Array[] = Array.from({ length: c }, () => new Float32Array(pixels));
  const k = image.channels;
  // Sample s of the pixel at `at` of alpha `a`, composited on the ground (grey images repeat their one sample).
  const on = (at: number, a: number, s: number) => image.data[at + (colour ? s : 0)] * a + ground * (1 - a);
  for (let p = 0; p < pixels; p++) {
    const at = p * k;
    const a = hasAlpha ? image.data[at + k - 1] : 1;
    if (c === 1) planes[0][p] = colour ? 0.299 * on(at, a, 0) + 0.587 * on(at, a, 1) + 0.114 * on(at, a, 2) : on(at, a, 0);
    else for (let s = 0; s < 3; s++) planes[s][p] = on(at, a, s);
  }
  if (c === 1 && colour) did('colour made grey');
  if (c === 3 && !colour) did('grey repeated in three channels');
  if (hasAlpha) did(`transparency on ${opts.invert ? 'white' : 'black'}`);
  // The colour of the margins `pad` adds: the background's when trimmed, else the border's mean.
  let margin: number[] | null = null;
  if (opts.trim) {
    const t = trimBox(planes, W, H);
    if (t && (t.w !== W || t.h !== H)) {
      did(`${W}x${H} trimmed to its ${t.w}x${t.h} object`, 'trimmed to the object');
      planes = planes.map((pl) => cut(pl, W, t.x, t.y, t.w, t.h));
      W = t.w;
      H = t.h;
      margin = t.background;
    }
  }
  const sameAspect = W * h === H * w;
  const data = new Float32Array(c * h * w);
  if (W === w && H === h) {
    for (let s = 0; s < c; s++) data.set(planes[s], s * h * w);
  } else if (fit === 'stretch' || sameAspect) {
    did(`${W}x${H} resized to ${w}x${h}${sameAspect ? '' : ' (stretched)'}`, `resized to ${w}x${h}${sameAspect ? '' : ' (stretched)'}`);
    for (let s = 0; s < c; s++) data.set(resize(planes[s], W, H, w, h), s * h * w);
  } else if (fit === 'crop') {
    // The middle part of the image's of the model's aspect ratio.
    const [cw, ch] = W * h > H * w ? [Math.max(1, Math.round((H * w) / h)), H] : [W, Math.max(1, Math.round((W * h) / w))];
    const x0 = Math.floor((W - cw) / 2);
    const y0 = Math.floor((H - ch) / 2);
    did(`${W}x${H} cropped to its middle ${cw}x${ch}${cw === w && ch === h ? '' : `, resized to ${w}x${h}`}`, `cropped to the middle, resized to ${w}x${h}`);
    for (let s = 0; s < c; s++) data.set(resize(cut(planes[s], W, x0, y0, cw, ch), cw, ch, w, h), s * h * w);
  } else {
    // Scaled to fit inside, centred, with margins around.
    const [iw, ih] = W * h > H * w ? [w, Math.max(1, Math.round((H * w) / W))] : [Math.max(1, Math.round((W * h) / H)), h];
    const x0 = Math.floor((w - iw) / 2);
    const y0 = Math.floor((h - ih) / 2);
    did(`${W}x${H} ${iw === W && ih === H ? 'kept' : `resized to ${iw}x${ih}`} and padded to ${w}x${h}`, `resized and padded to ${w}x${h}`);
    for (let s = 0; s < c; s++) {
      const inner = resize(planes[s], W, H, iw, ih);
      const plane = data.subarray(s * h * w, (s + 1) * h * w);
      plane.fill(margin ? margin[s] : borderMean(planes[s], W, H));
      for (let y = 0; y < ih; y++) plane.set(inner.subarray(y * iw, (y + 1) * iw), (y0 + y) * w + x0);
    }
  }
  if (opts.invert) {
    did('inverted');
    for (let i = 0; i < data.length; i++) data[i] = 1 - data[i];
  }
  return { data, changes, kinds };
}

/** The part `w` x `h` at (`x0`, `y0`) of a plane `W` wide. */
function cut(plane: Float32Array, W: number, x0: number, y0: number, w: number, h: number): Float32Array {
  const part = new Float32Array(w * h);
  for (let y = 0; y < h; y++) part.set(plane.subarray((y0 + y) * W + x0, (y0 + y) * W + x0 + w), y * w);
  return part;
}

/**
 * The smallest box holding every pixel that differs from the background (the median of the four
 * corners' colours, channel by channel) by more than {@link TRIM_TOLERANCE}, and that colour; null
 * when no pixel does (a blank picture).
 */
function trimBox(planes: Float32Array[], W: number, H: number): { x: number; y: number; w: number; h: number; background: number[] } | null {
  const corners = [0, W - 1, (H - 1) * W, H * W - 1];
  const background = planes.map((pl) => {
    const v = corners.map((i) => pl[i]).sort((a, b) => a - b);
    return (v[1] + v[2]) / 2;
  });
  const limit = TRIM_TOLERANCE * TRIM_TOLERANCE * planes.length;
  let x0 = W;
  let x1 = -1;
  let y0 = H;
  let y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let d = 0;
      for (let s = 0; s < planes.length; s++) d += (planes[s][y * W + x] - background[s]) ** 2;
      if (d > limit) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1, background };
}

/** The mean of a plane's outermost pixels (its first and last rows and columns). */
function borderMean(plane: Float32Array, w: number, h: number): number {
  let sum = 0;
  let n = 0;
  const add = (x: number, y: number) => {
    sum += plane[y * w + x];
    n++;
  };
  for (let x = 0; x < w; x++) {
    add(x, 0);
    if (h > 1) add(x, h - 1);
  }
  for (let y = 1; y < h - 1; y++) {
    add(0, y);
    if (w > 1) add(w - 1, y);
  }
  return sum / n;
}

/** Resizes a plane: each axis by area averaging when it shrinks, by linear interpolation when it grows. */
function resize(plane: Float32Array, w0: number, h0: number, w: number, h: number): Float32Array {
  if (w0 === w && h0 === h) return plane;
  // Rows first (w0 -> w: h0 lines, w0 and w apart, samples adjacent), then columns (h0 -> h: w lines side by side, samples a row apart).
  const mid = resampleLines(plane, h0, w0, w, 1, axisWeights(w0, w));
  return resampleLines(mid, w, 1, 1, w, axisWeights(h0, h));
}

/**
 * Resamples `lines` lines of `src` (line k starting at `k * srcLine`, its samples `step` apart) by
 * `weights` (one list of source positions and weights per output sample) into a new array laid
 * out alike (line k at `k * dstLine`).
 */
function resampleLines(src: Float32Array, lines: number, srcLine: number, dstLine: number, step: number, weights: [number, number][][]): Float32Array {
  const out = new Float32Array(lines * weights.length);
  for (let k = 0; k < lines; k++) {
    for (let j = 0; j < weights.length; j++) {
      let v = 0;
      for (const [i, wt] of weights[j]) v += src[k * srcLine + i * step] * wt;
      out[k * dstLine + j * step] = v;
    }
  }
  return out;
}

/** For each of `m` output positions, the source positions of an axis of `n` and their weights (summing to 1). */
function axisWeights(n: number, m: number): [number, number][][] {
  const scale = n / m;
  return Array.from({ length: m }, (_, j) => {
    if (scale >= 1) {
      // Area: the source cells [j*scale, (j+1)*scale) cover, by how much of each.
      const a = j * scale;
      const b = a + scale;
      const ws: [number, number][] = [];
      for (let i = Math.floor(a); i < Math.min(n, Math.ceil(b)); i++) {
        const overlap = Math.min(b, i + 1) - Math.max(a, i);
        if (overlap > 1e-9) ws.push([i, overlap / scale]);
      }
      return ws;
    }
    // Linear, pixel centres aligned: output centre j + 0.5 sits at source (j + 0.5) * scale - 0.5.
    const x = Math.min(n - 1, Math.max(0, (j + 0.5) * scale - 0.5));
    const i = Math.floor(x);
    const f = x - i;
    return f > 0 && i + 1 < n ? [[i, 1 - f], [i + 1, f]] : [[i, 1]];
  });
}
