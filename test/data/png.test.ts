import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataError } from '../../src/data/errors.js';
import { crc32, decodePng } from '../../src/data/png.js';
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
