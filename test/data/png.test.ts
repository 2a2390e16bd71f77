import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataError } from '../../src/data/errors.js';
import { crc32, decodePng, imageInput, type PngImage } from '../../src/data/png.js';
import { Rng } from '../../src/util/rng.js';
import { chunk, encodePng, type PngSpec } from './png-encode.js';

const SAMPLES = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

test('crc32 gives the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('decodePng reads every colour type and bit depth, all five filters, interlaced or not, at odd sizes', () => {
  const rng = new Rng(7);
  const forms: [PngSpec['colorType'], PngSpec['depth']][] = [
    [0, 1], [0, 2], [0, 4], [0, 8], [0, 16], [2, 8], [2, 16], [4, 8], [4, 16], [6, 8], [6, 16],
  ];
  for (const [colorType, depth] of forms) {
    for (const interlace of [false, true]) {
      for (const [width, height] of [[1, 1], [13, 7], [3, 9], [17, 17]]) {
        const n = width * height * SAMPLES[colorType];
        const max = 2 ** depth - 1;
        const samples = Array.from({ length: n }, () => Math.floor(rng.next() * (max + 1)));
        const spec: PngSpec = { width, height, colorType, depth, interlace };
        const img = decodePng(encodePng(spec, samples), 'x.png');
        const what = `type ${colorType}, depth ${depth}, ${interlace ? 'interlaced' : 'plain'}, ${width}x${height}`;
        assert.equal(img.width, width, what);
        assert.equal(img.height, height, what);
        assert.equal(img.channels, SAMPLES[colorType], what);
        assert.deepEqual(Array.from(img.data, (v) => Math.round(v * max)), samples, what);
        assert.ok(img.data.every((v) => v >= 0 && v <= 1), what);
      }
    }
  }
});

test('decodePng reads interlaced files that ImageMagick wrote, pixel for pixel', () => {
  // convert fx.pgm -interlace PNG -depth 8 -type Grayscale -strip PNG:fxg.png (11x9), and fx.ppm's 6x5 RGB as PNG24; the second string holds each source's bytes.
  const files = [
    [
      'iVBORw0KGgoAAAANSUhEUgAAAAsAAAAJCAAAAAG2CLlnAAAAgUlEQVQI1wF2AIn/AYI8AujkAH8CLwFKUAQBDkIuBBNd7wC5L1oBR/nAa+lAAQmySRNNGQC37ho58ADjQwJuVQCHqQEhtQHW6id14AGunUIS/QPC02XHa5knFpnu/AM/+/Ym/yrvkU9Q2AD2oV728Vodgwu3zgL2D1eK+92fFAcmYCZrMS9KPTMkAAAAAElFTkSuQmCC',
      'grcO7n8aUDm+8H7CNH8GbtCPXcdRJEfjQEMAAmtuVFWUoGVoXWTEmAu41FRKhyGpmgGtIZ61nPahXvbxWh2DC7fOCda7wATnF1xkPH3ssLWA7De8lxLdLmquuUuujS+fopxa',
      [11, 9, 1],
    ],
    [
      'iVBORw0KGgoAAAANSUhEUgAAAAYAAAAFCAIAAAGePTonAAAAcElEQVQI1wFlAJr/AChMngDp10oBsoywB2jgACnPEADmuqsBovWMqUQ1EfQ6APdSGHmwgBwQ/AMax8LULwZQMUwDhzvxsnzjv08VAatqQphp9BMLiPZAGUoqEcCgEQILp1p3vMIxuPAP5xvqXqSXq71uMyvbVuT5jQAAAABJRU5ErkJggg==',
      'KEye91IYKc8QebCA6ddKHBD8q2pCQ9M2Vt6+TB7XlkjoVuj5ovWMlfDOSznBW/+tXC37i7ggthGcuo/4h5auWwXygKaM7ZO2soyw0bNY5rqrSFVlufSQKNVX',
      [6, 5, 3],
    ],
  ] as const;
  for (const [png, source, [w, h, c]] of files) {
    const img = decodePng(Buffer.from(png, 'base64'));
    assert.deepEqual([img.width, img.height, img.channels], [w, h, c]);
    assert.deepEqual(Array.from(img.data, (v) => Math.round(v * 255)), Array.from(Buffer.from(source, 'base64')));
  }
});

test('decodePng: palette images, with and without tRNS alpha, and a grey tRNS key colour', () => {
  const palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
  const indices = [0, 1, 2, 3, 3, 2, 1, 0, 2];
  for (const depth of [2, 4, 8] as const) {
    for (const interlace of [false, true]) {
      const img = decodePng(encodePng({ width: 3, height: 3, colorType: 3, depth, palette, interlace }, indices));
      assert.equal(img.channels, 3);
      assert.deepEqual(Array.from(img.data, (v) => Math.round(v * 255)), indices.flatMap((k) => palette.slice(3 * k, 3 * k + 3)));
    }
  }
  // tRNS gives the first entries an alpha; entries past it are opaque.
  const alpha = decodePng(encodePng({ width: 3, height: 3, colorType: 3, depth: 8, palette, trns: [0, 128] }, indices));
  assert.equal(alpha.channels, 4);
  assert.deepEqual(Array.from({ length: 9 }, (_, p) => Math.round(alpha.data[4 * p + 3] * 255)), indices.map((k) => [0, 128, 255, 255][k]));
  // A grey image whose value 5 (of 16 bits) is transparent.
  const keyed = decodePng(encodePng({ width: 2, height: 1, colorType: 0, depth: 16, trns: [0, 5] }, [5, 6]));
  assert.equal(keyed.channels, 2);
  assert.deepEqual(Array.from(keyed.data), [5 / 65535, 0, 6 / 65535, 1].map(Math.fround));
});

test('decodePng skips ancillary chunks and refuses broken files with the reason', () => {
  const spec: PngSpec = { width: 4, height: 4, colorType: 0, depth: 8 };
  const samples = Array.from({ length: 16 }, (_, i) => i * 16);
  const withText = encodePng({ ...spec, extra: [['tEXt', new TextEncoder().encode('Comment\0hi')]] }, samples);
  assert.deepEqual(Array.from(decodePng(withText).data, (v) => Math.round(v * 255)), samples);
  const good = encodePng(spec, samples);
  const refused = (bytes: Uint8Array, re: RegExp) =>
    assert.throws(
      () => decodePng(bytes, 'pic.png'),
      (e: unknown) => e instanceof DataError && re.test((e as Error).message),
    );
  refused(new TextEncoder().encode('GIF89a, not a png'), /^pic\.png: not a PNG image \(no PNG signature\)$/);
  refused(good.subarray(0, good.length - 20), /^pic\.png: truncated/);
  const flipped = Uint8Array.from(good);
  flipped[20] ^= 0xff;
  refused(flipped, /^pic\.png: corrupt: chunk IHDR fails its CRC check$/);
  // An unknown critical chunk, a palette index past the palette, a bad bit depth, an unknown filter.
  refused(encodePng({ ...spec, extra: [['ZZZZ', new Uint8Array(1)]] }, samples), /an unknown critical chunk ZZZZ/);
  refused(encodePng({ width: 2, height: 1, colorType: 3, depth: 8, palette: [0, 0, 0] }, [0, 1]), /palette index 1 past the palette's 1 entries/);
  refused(encodePng({ width: 2, height: 1, colorType: 3, depth: 8 }, [0, 1]), /a palette image without a PLTE chunk/);
  refused(encodePng({ ...spec, filters: [7] }, samples), /unknown filter type 7 on row 0/);
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, 2);
  new DataView(ihdr.buffer).setUint32(4, 2);
  ihdr.set([3, 2, 0, 0, 0], 8);
  refused(Buffer.concat([good.subarray(0, 8), chunk('IHDR', ihdr), chunk('IEND', new Uint8Array(0))]), /bit depth 3 is not allowed for colour type 2/);
});

const grey = (width: number, height: number, f: (x: number, y: number) => number): PngImage => ({
  width,
  height,
  channels: 1,
  data: Float32Array.from({ length: width * height }, (_, p) => f(p % width, Math.floor(p / width))),
});

test('imageInput fits an image to the model: grey from colour, alpha on the ground, area shrinking, inverting', () => {
  // Colour to grey by BT.601 luma; grey repeated for a colour model.
  const rgb: PngImage = { width: 1, height: 1, channels: 3, data: Float32Array.from([1, 0.5, 0]) };
  const g = imageInput(rgb, [1, 1, 1]);
  assert.ok(Math.abs(g.data[0] - (0.299 + 0.587 * 0.5)) < 1e-6);
  assert.deepEqual(g.changes, ['colour made grey']);
  assert.deepEqual(Array.from(imageInput(grey(1, 1, () => 0.25), [3, 1, 1]).data), [0.25, 0.25, 0.25]);
  // Half-transparent white: half on black; inverted, on white and then flipped, so the ground is black too.
  const ga: PngImage = { width: 2, height: 1, channels: 2, data: Float32Array.from([1, 0.5, 0.2, 0]) };
  assert.deepEqual(Array.from(imageInput(ga, [1, 1, 2]).data), [0.5, 0]);
  const inv = imageInput(ga, [1, 1, 2], { invert: true });
  assert.deepEqual(Array.from(inv.data), [0, 0]);
  assert.deepEqual(inv.changes, ['transparency on white', 'inverted']);
  // A 28x28 image enlarged 2x by repeating pixels comes back exactly when shrunk by area.
  const small = grey(28, 28, (x, y) => ((x * 7 + y * 3) % 11) / 10);
  const big = grey(56, 56, (x, y) => small.data[Math.floor(y / 2) * 28 + Math.floor(x / 2)]);
  const back = imageInput(big, [1, 28, 28]);
  assert.deepEqual(back.changes, ['56x56 resized to 28x28']);
  for (let i = 0; i < 784; i++) assert.ok(Math.abs(back.data[i] - small.data[i]) < 1e-6, `pixel ${i}`);
  // Shrinking by 3 averages each 3x3 block; enlarging a constant keeps it; a ramp stays in range.
  const blocks = imageInput(grey(6, 3, (x) => (x < 3 ? 0 : 0.9)), [1, 1, 2]);
  assert.deepEqual(Array.from(blocks.data, (v) => +v.toFixed(6)), [0, 0.9]);
  assert.ok(imageInput(grey(5, 5, () => 0.3), [1, 12, 12]).data.every((v) => Math.abs(v - 0.3) < 1e-6));
  const ramp = imageInput(grey(4, 1, (x) => x / 3), [1, 1, 9]).data;
  assert.ok(ramp.every((v, i) => v >= 0 && v <= 1 && (i === 0 || v >= ramp[i - 1] - 1e-6)), Array.from(ramp).join());
  assert.throws(() => imageInput(small, [2, 28, 28]), /images are read for models of one or three channels/);
});
