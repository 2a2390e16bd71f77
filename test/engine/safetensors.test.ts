import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type DType, ITEMSIZE, type Tensor, cuda, dtypeCode, memory, tensor, tidy, wrapId } from '../../src/engine/index.js';
import { N } from '../../src/engine/native.js';
import { MAX_HEADER_BYTES, loadSafetensors, parseSafetensors, saveSafetensors, serializeSafetensors } from '../../src/engine/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-st-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A tensor made from raw little-endian bytes, so any bit pattern can be tested. */
function rawTensor(bytes: Uint8Array, dtype: DType, shape: number[]): Tensor {
  return wrapId(N.fromBuffer(bytes, dtypeCode(dtype), shape, -1));
}
const rawBytes = (t: Tensor): Uint8Array => new Uint8Array(N.toBuffer(t._id) as ArrayBuffer);

/** Builds a file from a header object (serialised as given) and data bytes. */
function build(header: unknown, data: Uint8Array | number[] = [], opts: { headerText?: string; lengthOverride?: bigint } = {}): Uint8Array {
  const json = Buffer.from(opts.headerText ?? JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

function rejects(bytes: Uint8Array, pattern: RegExp, what: string): void {
  const live = memory().liveTensors;
  assert.throws(
    () => parseSafetensors(bytes, { source: 'weights.safetensors' }),
    (e: unknown) => {
      assert.ok(e instanceof Error, `${what}: not an Error`);
      assert.match(e.message, /^weights\.safetensors: not a valid safetensors file: /, `${what}: message names the file`);
      assert.match(e.message, pattern, `${what}: ${e.message}`);
      return true;
    },
    what,
  );
  assert.equal(memory().liveTensors, live, `${what}: no tensor was created`);
}

test('every dtype round-trips bit for bit, with shapes, scalars, empty tensors and metadata', () => {
  const live = memory().liveTensors;
  const u8 = (...b: number[]) => new Uint8Array(b);
  // float16: 1, -0, +inf, NaN with payload, smallest subnormal, max; bfloat16 likewise.
  const f16 = u8(0x00, 0x3c, 0x00, 0x80, 0x00, 0x7c, 0x01, 0x7e, 0x01, 0x00, 0xff, 0x7b);
  const bf16 = u8(0x80, 0x3f, 0x00, 0x80, 0x80, 0x7f, 0xc1, 0x7f, 0x01, 0x00, 0x7f, 0x7f);
  const f32bits = new Uint8Array(new Float32Array([1.5, -0, Number.POSITIVE_INFINITY, 1e-45, 3.4028234663852886e38, Number.NaN]).buffer);
  f32bits.set([0x01, 0x00, 0xc0, 0x7f], 20); // a NaN with a payload
  const f64bits = new Uint8Array(new Float64Array([Math.PI, -0, Number.MIN_VALUE, Number.MAX_VALUE]).buffer);
  const i64bits = new Uint8Array(new BigInt64Array([9223372036854775807n, -9223372036854775808n, 0n, -1n]).buffer);
  const i32bits = new Uint8Array(new Int32Array([2147483647, -2147483648, 7]).buffer);
  const i16bits = new Uint8Array(new Int16Array([32767, -32768]).buffer);
  const cases: [string, DType, number[], Uint8Array][] = [
    ['half', 'float16', [2, 3], f16],
    ['bf', 'bfloat16', [6], bf16],
    ['single', 'float32', [3, 2], f32bits],
    ['double', 'float64', [2, 2], f64bits],
    ['long', 'int64', [4], i64bits],
    ['int', 'int32', [3], i32bits],
    ['short', 'int16', [1, 2], i16bits],
    ['byte', 'int8', [3], u8(0x80, 0x7f, 0xff)],
    ['ubyte', 'uint8', [3], u8(0, 128, 255)],
    ['flags', 'bool', [2, 2], u8(1, 0, 0, 1)],
    ['scalar', 'float32', [], new Uint8Array(new Float32Array([42]).buffer)],
    ['empty', 'float32', [0, 3], u8()],
    ['empty.long', 'int64', [2, 0], u8()],
  ];
  const tensors = new Map(cases.map(([name, dt, shape, bytes]) => [name, rawTensor(bytes, dt, shape)]));
  const path = join(dir, 'all.safetensors');
  saveSafetensors(path, tensors, { format: 'pt', note: 'ünïcode ✓' });
  const back = loadSafetensors(path);
  assert.deepEqual(back.metadata, { format: 'pt', note: 'ünïcode ✓' });
  assert.deepEqual(new Set(back.keys()), new Set(tensors.keys()));
  for (const [name, dt, shape, bytes] of cases) {
    const t = back.get(name)!;
    assert.equal(t.dtype, dt, `${name} dtype`);
    assert.deepEqual(t.shape, shape, `${name} shape`);
    assert.deepEqual(rawBytes(t), bytes, `${name} bytes`);
  }
  // Tensors are laid out so each is aligned to its element size.
  const header = JSON.parse(readFileSync(path).subarray(8, 8 + Number(readFileSync(path).readBigUint64LE(0))).toString('utf8'));
  for (const [name, dt, , bytes] of cases) {
    const [b, e] = header[name].data_offsets;
    assert.equal(e - b, bytes.length, `${name} length`);
    assert.equal(b % ITEMSIZE[dt], 0, `${name} aligned`);
  }
  back.dispose();
  for (const t of tensors.values()) t.dispose();
  assert.equal(memory().liveTensors, live, 'nothing leaked');
});

test('non-contiguous tensors are written as their logical (row-major) contents', () => {
  tidy(() => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]).t();
    const back = parseSafetensors(serializeSafetensors({ t }));
    assert.deepEqual(back.get('t')!.toArray(), [
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    back.dispose();
  });
});

test("the bytes written are exactly the reference implementation's", () => {
  // safetensors (Rust) test_serialization_forced_alignement: {"attn0": F32 [1,1,2,3] = 0..5}
  const expected = [
    72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104,
    97, 112, 101, 34, 58, 91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44,
    50, 52, 93, 125, 125, 32, 32, 32, 32, 32, 32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
  ];
  tidy(() => {
    const attn0 = tensor([0, 1, 2, 3, 4, 5]).reshape(1, 1, 2, 3);
    assert.deepEqual([...serializeSafetensors({ attn0 })], expected);
    // ...and a file in that layout reads back.
    const back = parseSafetensors(new Uint8Array(expected));
    assert.deepEqual(back.get('attn0')!.dataSync(), [0, 1, 2, 3, 4, 5]);
    back.dispose();
  });
  // test_empty: no tensors, metadata {"framework": "pt"}.
  const emptyWithMeta = [
    40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114,
    107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
  ];
  assert.deepEqual([...serializeSafetensors({}, { framework: 'pt' })], emptyWithMeta);
  assert.deepEqual([...serializeSafetensors(new Map())], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
  const m = parseSafetensors(new Uint8Array(emptyWithMeta));
  assert.equal(m.size, 0);
  assert.deepEqual(m.metadata, { framework: 'pt' });
  // Order: wider dtypes first (as the reference sorts by dtype, descending), then by name.
  tidy(() => {
    const bytes = serializeSafetensors({ b: tensor([1], { dtype: 'uint8' }), a: tensor([1], { dtype: 'float64' }), c: tensor([1]), d: tensor([1], { dtype: 'int64' }) });
    const n = Number(Buffer.from(bytes).readBigUint64LE(0));
    const header = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8').trimEnd();
    assert.equal(
      header,
      '{"d":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},' +
        '"c":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"b":{"dtype":"U8","shape":[1],"data_offsets":[20,21]}}',
    );
  });
});

test('damaged and hostile files each give a clear Error, and nothing is allocated', () => {
  const data24 = new Uint8Array(24);
  const good = build({ w: f32([2, 3], 0, 24) }, data24);
  assert.equal(parseSafetensors(good).get('w')!.numel(), 6); // sanity (freed by the finalizer)

  rejects(new Uint8Array(5), /5 bytes, fewer than the 8-byte header length/, 'truncated below 8 bytes');
  rejects(good.subarray(0, 20), /runs past the end of the file/, 'truncated header');
  rejects(good.subarray(0, good.length - 4), /tensor 'w': data_offsets \[0, 24\] run past the end of the data area \(20 bytes\)/, 'truncated data');
  rejects(build({}, [], { lengthOverride: 0xffffffffffffffffn }), /header length 18446744073709551615 is above the 100000000-byte limit/, 'u64 max header length');
  rejects(build({}, [], { lengthOverride: BigInt(MAX_HEADER_BYTES + 1) }), /above the 100000000-byte limit/, 'header just over the cap');
  rejects(build({}, [], { lengthOverride: 1000n }), /header length 1000 runs past the end/, 'header longer than the file');
  rejects(build(null, [], { headerText: '{"a": ' }), /not valid JSON/, 'cut JSON');
  rejects(build(null, [], { headerText: '[1, 2]' }), /must start with '\{'/, 'JSON array');
  rejects(build(null, [], { headerText: '{} {}' }), /not valid JSON/, 'two JSON values');
  const badUtf8 = build(null, [], { headerText: '{"é":1}' });
  badUtf8[10] = 0xff;
  rejects(badUtf8, /not valid UTF-8/, 'invalid UTF-8');
  const garbage = new Uint8Array(4096);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 251;
  rejects(garbage, /header length \d+ is above|runs past/, 'garbage bytes');

  rejects(build({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w': unknown dtype "F33"/, 'unknown dtype');
  rejects(build({ w: { dtype: 'U16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)), /tensor 'w': dtype U16 is not supported by Loom/, 'unsupported dtype');
  rejects(build({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: 1 } }, new Uint8Array(4)), /tensor 'w': unknown field 'extra'/, 'unknown field');
  rejects(build({ w: 5 }), /tensor 'w': its entry is not an object/, 'entry not an object');
  rejects(build({ w: { dtype: 'F32', shape: 4, data_offsets: [0, 16] } }, new Uint8Array(16)), /tensor 'w': shape missing or not an array/, 'shape not an array');
  rejects(build({ w: f32([-1, 4], 0, 16) }, new Uint8Array(16)), /tensor 'w': shape must hold non-negative integers/, 'negative dim');
  rejects(build({ w: f32([1.5], 0, 4) }, new Uint8Array(4)), /tensor 'w': shape must hold non-negative integers/, 'fractional dim');
  rejects(build({ w: f32(['4' as unknown as number], 0, 16) }, new Uint8Array(16)), /shape must hold non-negative integers/, 'string dim');
  rejects(build({ w: f32([2 ** 40, 2 ** 40], 0, 16) }, new Uint8Array(16)), /tensor 'w': shape \[1099511627776, 1099511627776\] has too many elements/, 'huge shape (overflow)');
  rejects(build({ w: f32([2 ** 30, 2 ** 20], 0, 16) }, new Uint8Array(16)), /tensor 'w': holds 16 bytes but dtype F32 and shape \[1073741824, 1048576\] need 4503599627370496/, 'huge shape (length)');
  rejects(build(null, new Uint8Array(4), { headerText: `{"w":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}}` }), /shape must hold non-negative integers/, 'infinite dim');
  rejects(build({ w: { dtype: 'F32', shape: new Array(65).fill(1), data_offsets: [0, 4] } }, new Uint8Array(4)), /65 dimensions, more than 64/, 'too many dims');
  rejects(build({ w: f32([4], 16, 0) }, new Uint8Array(16)), /tensor 'w': data_offsets \[16, 0\] are reversed/, 'reversed offsets');
  rejects(build({ w: { dtype: 'F32', shape: [4], data_offsets: [0] } }, new Uint8Array(16)), /tensor 'w': data_offsets must be two non-negative integers/, 'one offset');
  rejects(build({ w: { dtype: 'F32', shape: [4], data_offsets: [0, '16'] } }, new Uint8Array(16)), /data_offsets must be two non-negative integers/, 'string offset');
  rejects(build({ w: f32([4], 0, 12) }, new Uint8Array(12)), /tensor 'w': holds 12 bytes but dtype F32 and shape \[4\] need 16/, 'wrong length');
  rejects(build({ a: f32([4], 0, 16), b: f32([4], 8, 24) }, new Uint8Array(24)), /tensor 'b' \(bytes 8\.\.24\) overlaps tensor 'a' \(bytes 0\.\.16\)/, 'overlap');
  rejects(build({ a: f32([4], 0, 16), b: f32([4], 0, 16) }, new Uint8Array(16)), /overlaps/, 'two tensors on the same bytes');
  rejects(build({ a: f32([2], 0, 8), b: f32([2], 12, 20) }, new Uint8Array(20)), /hole at bytes 8\.\.12, before tensor 'b'/, 'hole');
  rejects(build({ a: f32([2], 4, 12) }, new Uint8Array(12)), /hole at bytes 0\.\.4, before tensor 'a'/, 'hole at the start');
  rejects(build({ a: f32([2], 0, 8) }, new Uint8Array(11)), /3 bytes after the last tensor/, 'trailing bytes');
  rejects(build(null, new Uint8Array(8), { headerText: '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}' }), /duplicate tensor name 'a'/, 'duplicate tensor');
  rejects(build(null, [], { headerText: '{"__metadata__":{"k":"1","k":"2"}}' }), /duplicate key 'k' in '__metadata__'/, 'duplicate metadata key');
  rejects(build(null, [], { headerText: '{"__metadata__":{"a":"1"},"__metadata__":{"b":"2"}}' }), /duplicate tensor name '__metadata__'/, 'duplicate metadata');
  rejects(build({ __metadata__: { epoch: 3 } }), /metadata 'epoch' must be a string, got number/, 'non-string metadata');
  rejects(build({ __metadata__: ['a'] }), /'__metadata__' must be an object of strings/, 'metadata array');
  rejects(build({ b: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, [1, 0, 2]), /tensor 'b': BOOL element 2 is 2, not 0 or 1/, 'bad bool byte');
  // An escaped key is the same key.
  rejects(build(null, new Uint8Array(8), { headerText: '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}' }), /duplicate tensor name 'a'/, 'escaped duplicate');
  // Zero-length tensors may share an offset; a key named __proto__ is just a name.
  const ok = parseSafetensors(build(null, new Uint8Array(4), { headerText: '{"__proto__":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"z":{"dtype":"I8","shape":[0,5],"data_offsets":[0,0]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"__proto__":"p"}}' }));
  assert.deepEqual([...ok.keys()].sort(), ['__proto__', 'x', 'z']);
  assert.equal(Object.getOwnPropertyDescriptor(ok.metadata, '__proto__')?.value, 'p');
  assert.equal(Object.keys(ok.metadata).length, 1);
  ok.dispose();
});

test('random corruption never crashes the parser', () => {
  const base = tidy(() => serializeSafetensors({ a: tensor([1, 2, 3]), b: tensor([[1, 2]], { dtype: 'int64' }), c: tensor([true, false]) }, { k: 'v' }));
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const live = memory().liveTensors;
  let parsed = 0;
  let rejected = 0;
  for (let i = 0; i < 400; i++) {
    const bytes = new Uint8Array(base);
    const edits = 1 + Math.floor(rand() * 4);
    for (let e = 0; e < edits; e++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    const cut = rand() < 0.2 ? bytes.subarray(0, Math.floor(rand() * bytes.length)) : bytes;
    try {
      parseSafetensors(cut).dispose();
      parsed++;
    } catch (e) {
      assert.ok(e instanceof Error);
      assert.match(e.message, /not a valid safetensors file|could not create/);
      rejected++;
    }
  }
  assert.equal(parsed + rejected, 400);
  assert.ok(rejected > 100);
  assert.equal(memory().liveTensors, live);
});

test('saveSafetensors writes atomically and reports failures clearly', () => {
  const path = join(dir, 'atomic.safetensors');
  tidy(() => {
    saveSafetensors(path, { w: tensor([1, 2]) });
    saveSafetensors(path, { w: tensor([3, 4, 5]) }); // overwrite
  });
  const back = loadSafetensors(path);
  assert.deepEqual(back.get('w')!.dataSync(), [3, 4, 5]);
  back.dispose();
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes('atomic')),
    ['atomic.safetensors'],
    'no temporary files left behind',
  );
  const missingDir = join(dir, 'no', 'such', 'dir', 'x.safetensors');
  tidy(() => {
    assert.throws(() => saveSafetensors(missingDir, { w: tensor([1]) }), (e: Error) => e.message.startsWith(`cannot write safetensors file ${missingDir}`));
    assert.throws(() => serializeSafetensors({ __metadata__: tensor([1]) }), /cannot be a tensor name/);
    assert.throws(() => serializeSafetensors({ w: tensor([1]) }, { n: 1 as unknown as string }), /metadata 'n' must be a string/);
    const gone = tensor([1]);
    gone.dispose();
    assert.throws(() => serializeSafetensors({ gone }), /tensor 'gone' has been disposed/);
  });
  assert.throws(() => loadSafetensors(join(dir, 'absent.safetensors')), /cannot read safetensors file .*absent\.safetensors/);
  writeFileSync(join(dir, 'bad.safetensors'), new Uint8Array(3));
  assert.throws(() => loadSafetensors(join(dir, 'bad.safetensors')), /bad\.safetensors: not a valid safetensors file: it has 3 bytes/);
});

test('loading onto a CUDA device', { skip: !cuda.isAvailable() && 'no CUDA device' }, () => {
  const bytes = tidy(() => serializeSafetensors({ w: tensor([1, 2, 3], { dtype: 'float16' }) }));
  const m = parseSafetensors(bytes, { device: 'cuda' });
  assert.equal(m.get('w')!.device, 'cuda:0');
  assert.deepEqual(m.get('w')!.dataSync(), [1, 2, 3]);
  assert.deepEqual([...serializeSafetensors(m)], [...bytes], 'writing from the GPU gives the same bytes');
  m.dispose();
});
