import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, Progress } from '../../src/util/progress.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, columns: 100, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

test('off a terminal: plain occasional lines, no control characters', () => {
  const s = fakeStream(false);
  let now = 0;
  const bar = new Progress({ total: 100, label: 'epoch 1/3', unit: 'batch', stream: s, now: () => now, plainEveryMs: 1000 });
  assert.equal(bar.tty, false);
  for (let i = 0; i < 100; i++) {
    now += 50;
    bar.tick({ loss: 0.123456, acc: 0.5 });
  }
  bar.log('a log line');
  bar.done();
  const text = s.text();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that there are none
  assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f]/, 'only newlines');
  const lines = text.trimEnd().split('\n');
  assert.ok(lines.length >= 4 && lines.length <= 7, `a few lines, not one per tick (${lines.length})`);
  assert.ok(lines.includes('a log line'));
  const last = lines.at(-1) ?? '';
  assert.match(last, /^epoch 1\/3 100\/100 20\.0 batch\/s 0:05<0:00 loss=0\.1235 acc=0\.5000$/);
});

test('on a terminal: redrawn bar with ETA; log lines go above it; done erases it', () => {
  const s = fakeStream(true);
  let now = 0;
  const bar = new Progress({ total: 10, label: 'train', stream: s, now: () => now, tty: true, redrawMs: 0 });
  now = 2000;
  bar.tick({ loss: 1.5 }, 4);
  const drawn = s.chunks.at(-1) ?? '';
  assert.ok(drawn.startsWith('\r\x1b[2K'), 'redraws in place');
  assert.match(drawn, /train +40% \[#+-+\] 4\/10 2\.0 it\/s 0:02<0:03 loss=1\.500/);
  bar.log('hello');
  const n = s.chunks.length;
  assert.deepEqual(s.chunks.slice(n - 3, n - 1), ['\r\x1b[2K', 'hello\n'], 'clears the bar, prints the line');
  assert.ok(s.chunks[n - 1].includes('4/10'), 'then redraws the bar');
  bar.done('finished');
  assert.deepEqual(s.chunks.slice(-2), ['\r\x1b[2K', 'finished\n']);
  bar.tick();
  assert.equal(s.chunks.at(-1), 'finished\n', 'nothing after done');
});

test('silent bars print nothing but log lines; unknown totals show no ETA', () => {
  const s = fakeStream(true);
  const bar = new Progress({ stream: s, silent: true, tty: true, redrawMs: 0 });
  bar.tick();
  bar.log('only this');
  bar.done();
  assert.equal(s.text(), 'only this\n');
  let now = 0;
  const open = new Progress({ stream: fakeStream(false), now: () => now });
  now = 1500;
  open.tick({ note: 'x' }, 3);
  assert.equal(open.line(), '3 2.0 it/s 0:02 note=x');
});

test('formatDuration', () => {
  assert.equal(formatDuration(5), '0:05');
  assert.equal(formatDuration(65), '1:05');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatDuration(Number.NaN), '?');
});
