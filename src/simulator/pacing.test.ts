import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinePacer } from './pacing.ts';

test('bytes leave at line speed, in order, never faster', async () => {
  const pacer = new LinePacer(9600, 2);
  const got: { t: number; n: number }[] = [];
  const t0 = performance.now();
  const all: number[] = [];
  const ch = pacer.channel((b) => {
    got.push({ t: performance.now() - t0, n: b.length });
    all.push(...b);
  });
  const data = Uint8Array.from({ length: 96 }, (_, i) => i);
  ch.push(data.subarray(0, 48));
  ch.push(data.subarray(48));
  await new Promise((r) => setTimeout(r, ch.drainMs() + 40));
  assert.deepEqual(all, Array.from(data));
  // 96 bytes at 9600 baud take 100 ms: at any delivery, the bytes delivered so far never exceed the line's budget.
  let sum = 0;
  for (const g of got) {
    sum += g.n;
    assert.ok(sum <= Math.floor(g.t / (10_000 / 9600)) + 1, `${sum} bytes by ${g.t.toFixed(1)} ms`);
  }
  assert.ok(got.length > 3, 'delivered in several pieces');
});

test('a closed channel delivers nothing more', async () => {
  const pacer = new LinePacer(1200, 2);
  let n = 0;
  const ch = pacer.channel((b) => {
    n += b.length;
  });
  ch.push(new Uint8Array(100));
  ch.close();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(n, 0);
});

test("'frames' delivery hands each pushed frame on whole, in order, never before its last byte crossed the line", async () => {
  const pacer = new LinePacer(9600, 2, 'frames');
  const got: { t: number; bytes: number[] }[] = [];
  const t0 = performance.now();
  const ch = pacer.channel((b) => got.push({ t: performance.now() - t0, bytes: Array.from(b) }));
  const frames = [
    Uint8Array.from({ length: 48 }, (_, i) => i),
    Uint8Array.of(0x05),
    Uint8Array.from({ length: 30 }, (_, i) => 200 + i),
  ];
  for (const f of frames) ch.push(f);
  await new Promise((r) => setTimeout(r, ch.drainMs() + 40));
  assert.deepEqual(
    got.map((g) => g.bytes),
    frames.map((f) => Array.from(f)),
  );
  let sent = 0;
  for (const g of got) {
    sent += g.bytes.length;
    assert.ok(sent <= Math.floor(g.t / (10_000 / 9600)) + 1, `${sent} bytes by ${g.t.toFixed(1)} ms`);
  }
});

test("'frames' delivery over many channels: every frame whole, in order, none before its line time", async () => {
  const pacer = new LinePacer(19200, 2, 'frames');
  const byteMs = 10_000 / 19200;
  const t0 = performance.now();
  const sizes = [1, 66, 258, 1, 30];
  const got: { ch: number; t: number; first: number; n: number }[][] = [];
  const channels = Array.from({ length: 40 }, (_, c) => {
    got.push([]);
    return pacer.channel((b) => got[c].push({ ch: c, t: performance.now() - t0, first: b[0], n: b.length }));
  });
  // Channels start at different moments and queue frames of different lengths, so their due times interleave.
  for (let c = 0; c < channels.length; c++) {
    if (c % 10 === 0) await new Promise((r) => setTimeout(r, 3));
    for (const [k, n] of sizes.entries()) channels[c].push(new Uint8Array(n).fill((c + k) % 256));
  }
  const lineMs = sizes.reduce((a, b) => a + b, 0) * byteMs;
  await new Promise((r) => setTimeout(r, Math.max(...channels.map((ch) => ch.drainMs())) + lineMs / 4 + 40));
  for (let c = 0; c < channels.length; c++) {
    assert.deepEqual(
      got[c].map((g) => [g.first, g.n]),
      sizes.map((n, k) => [(c + k) % 256, n]),
      `channel ${c}`,
    );
    let sent = 0;
    for (const g of got[c]) {
      sent += g.n;
      assert.ok(sent <= Math.floor(g.t / byteMs) + 1, `channel ${c}: ${sent} bytes by ${g.t.toFixed(1)} ms`);
    }
  }
});
