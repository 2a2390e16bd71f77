import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx, readIdx } from '../../src/data/idx.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A hand-built IDX file: magic, big-endian dims, then raw payload bytes. */
function rawIdx(dtypeByte: number, dims: number[], payload: number[]): Uint8Array {
  const header = [0, 0, dtypeByte, dims.length];
  for (const d of dims) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...header, ...payload]);
}

test('reads a hand-made uint8 IDX file (plain and gzipped) with its shape', () => {
  const bytes = rawIdx(0x08, [2, 3], [0, 1, 2, 253, 254, 255]);
  const plain = join(dir, 'a-idx2-ubyte');
  const gz = join(dir, 'a-idx2-ubyte.gz');
  writeFileSync(plain, bytes);
  writeFileSync(gz, gzipSync(bytes));
  for (const p of [plain, gz]) {
    const a = readIdx(p);
    assert.equal(a.dtype, 'uint8');
    assert.deepEqual(a.shape, [2, 3]);
    assert.ok(a.data instanceof Uint8Array);
    assert.deepEqual([...a.data], [0, 1, 2, 253, 254, 255]);
  }
});

test('decodes big-endian multi-byte types', () => {
  const i16 = parseIdx(rawIdx(0x0b, [2], [0x01, 0x02, 0xff, 0xfe]));
  assert.equal(i16.dtype, 'int16');
  assert.deepEqual([...i16.data], [0x0102, -2]);
  const i32 = parseIdx(rawIdx(0x0c, [1], [0x80, 0, 0, 1]));
  assert.deepEqual([...i32.data], [-2147483647]);
  const f32 = parseIdx(rawIdx(0x0d, [1], [0x3f, 0xc0, 0, 0]));
  assert.deepEqual([...f32.data], [1.5]);
  const i8 = parseIdx(rawIdx(0x09, [3], [0x7f, 0x80, 0xff]));
  assert.deepEqual([...i8.data], [127, -128, -1]);
});

test('encodeIdx round-trips every dtype, plain and gzipped', () => {
  const arrays = [
    new Uint8Array([1, 2, 3, 4, 5, 6]),
    new Int8Array([-1, 2, -3, 4, -5, 6]),
    new Int16Array([-300, 2, 3, 4, 5, 32000]),
    new Int32Array([-70000, 2, 3, 4, 5, 1 << 30]),
    new Float32Array([0.5, -2.25, 3, 4, 5, 1e-3]),
    new Float64Array([Math.PI, -2, 3, 4, 5, 1e300]),
  ];
  for (const data of arrays) {
    for (const gzip of [false, true]) {
      const back = parseIdx(encodeIdx([3, 2], data, { gzip }));
      assert.deepEqual(back.shape, [3, 2]);
      assert.equal(back.data.constructor, data.constructor);
      assert.deepEqual([...back.data], [...data]);
    }
  }
});

test('rejects a bad magic number with a clear message', () => {
  assert.throws(() => parseIdx(Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0]), 'x.zip'), /x\.zip: not an IDX file: magic number starts 50 4b 03 04/);
  assert.throws(() => parseIdx(rawIdx(0x07, [1], [0])), /unknown IDX dtype byte 0x07/);
  assert.throws(() => parseIdx(rawIdx(0x08, [], [])), /0 dimensions/);
  assert.throws(() => parseIdx(Uint8Array.from([0, 0])), /too short/);
});

test('rejects truncated files: header, data, and gzip stream', () => {
  const good = rawIdx(0x08, [4, 4], Array.from({ length: 16 }, (_, i) => i));
  assert.throws(() => parseIdx(good.subarray(0, 10), 't'), /t: truncated IDX header: 2 dimension\(s\) need 12 bytes, the file has 10/);
  assert.throws(() => parseIdx(good.subarray(0, 20), 't'), /t: truncated IDX data: shape \[4, 4\] of uint8 needs 16 bytes, found 8/);
  const gz = gzipSync(good);
  const cut = join(dir, 'cut.gz');
  writeFileSync(cut, gz.subarray(0, gz.length - 10));
  assert.throws(() => readIdx(cut), (e: Error) => e.message.startsWith(`${cut}: damaged gzip stream`) && /truncated/.test(e.message));
});

test('rejects trailing bytes and names missing files', () => {
  assert.throws(() => parseIdx(rawIdx(0x08, [2], [1, 2, 3])), /1 unexpected byte\(s\) after the IDX data/);
  assert.throws(() => readIdx(join(dir, 'nope')), /nope: no such file/);
});
