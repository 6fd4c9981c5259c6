/**
 * ABNT reading files end to end (issue 6): a simulated meter read over TCP and stored, the session exported as a
 * file, the file imported into an EMPTY store: the same day blocks (values, pulses, marks), the same meter events
 * and a session marked as imported. Bad files (flipped CRC, truncated block, wrong length, another meter) import
 * nothing, also when they come with good ones. On PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ingestReading } from '../src/collect/ingest.ts';
import { readMeter } from '../src/collect/session/read-meter.ts';
import { isFronteiraError } from '../src/domain/errors.ts';
import { exportSessionAbntFile } from '../src/exports/abnt-file/export.ts';
import { parseAbntFileName } from '../src/exports/abnt-file/format.ts';
import { importAbntFiles } from '../src/exports/abnt-file/import.ts';
import { FILE_SEQUENCE } from '../src/exports/abnt-file/read.ts';
import type { SimulatedMeter } from '../src/simulator/meter-model.ts';
import { readDayBlocks } from '../src/store/day-blocks.ts';
import type { Store } from '../src/store/pool.ts';
import { insertMeter, insertPoint, type MeterRow, type PointRow } from '../src/store/registry.ts';
import { readSession, readSessionFrames } from '../src/store/sessions.ts';
import { assertOk, startTestMeter, todayMidnightWall } from './helpers/sim-meter.ts';
import { backends } from './helpers/stores.ts';

const DAY = 86_400_000;
const servers: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function register(
  store: Store,
  sim: SimulatedMeter,
  serial = sim.serial,
): Promise<{ meter: MeterRow; point: PointRow }> {
  const point = await insertPoint(store.db, {
    code: sim.pointCode,
    name: 'P',
    kind: 'consumidor_livre',
    segment: 'livre',
  });
  const channelMap = [0, 1].flatMap((g) =>
    [0, 1, 2].map((i) => ({
      group: g,
      channel: 3 * g + i + 1,
      quantityCode: sim.quantityCodes(g)[i],
      ...sim.constants(g)[i],
    })),
  );
  const meter = await insertMeter(store.db, point.id, {
    serial,
    role: sim.role,
    channelMap,
    validFrom: new Date('2020-01-01T00:00:00Z'),
  });
  return { meter, point };
}

async function counts(store: Store): Promise<Record<string, number>> {
  const r = await store.pool.query(`SELECT
      (SELECT count(*) FROM read_session)::int AS sessions,
      (SELECT count(*) FROM read_session_frames)::int AS frames,
      (SELECT count(*) FROM interval_raw)::int AS blocks,
      (SELECT count(*) FROM meter_event)::int AS events,
      (SELECT count(*) FROM meter_snapshot)::int AS snapshots,
      (SELECT count(*) FROM vee_dirty)::int AS dirty,
      (SELECT count(*) FROM audit_log WHERE entity = 'abnt_file')::int AS audits`);
  return r.rows[0];
}

const EMPTY = { sessions: 0, frames: 0, blocks: 0, events: 0, snapshots: 0, dirty: 0, audits: 0 };

/** Day blocks as comparable plain values (session ids left out: they differ between stores). */
async function dayBlocks(store: Store, meterId: number) {
  const blocks = await readDayBlocks(store.db, { fromDay: '2000-01-01', toDay: '2100-01-01', meterIds: [meterId] });
  return blocks.map((b) => ({
    key: `${b.channel}@${b.day}`,
    intervalS: b.intervalS,
    slots: b.slots,
    filled: b.filled,
    value: [...b.value].map((v) => (Number.isNaN(v) ? null : v)),
    pulses: [...b.pulses],
    flags: [...b.flags],
  }));
}

async function eventKeys(store: Store, meterId: number, kinds: string[]): Promise<string[]> {
  const rows = await store.db
    .selectFrom('meter_event')
    .select(['kind', 'dedupe', 'at', 'ended_at'])
    .where('meter_id', '=', meterId)
    .where('kind', 'in', kinds as never[])
    .execute();
  return rows.map((e) => `${e.kind}|${e.dedupe}|${e.at.toISOString()}|${e.ended_at?.toISOString() ?? '-'}`).sort();
}

for (const backend of backends) {
  describe(`ABNT reading file round trip on ${backend.name}`, () => {
    test('verificação read → stored → exported → imported into an empty store: same intervals and events', async () => {
      const base = todayMidnightWall();
      const {
        meter: sim,
        server,
        address,
      } = await startTestMeter({
        seed: 31,
        adjust: (c) => {
          c.clock = { offsetMs: 0, driftPpm: 0 };
          c.outages = [{ start: base - DAY + 9 * 3_600_000, end: base - DAY + 9 * 3_600_000 + 1_500_000 }];
        },
      });
      servers.push(server);
      const reading = await readMeter(address, { sequence: 'verificacao' });
      assertOk(reading);

      const a = await backend.open();
      const b = await backend.open();
      try {
        const ra = await register(a, sim);
        const stored = await ingestReading(a, { ...ra, channel: null, purpose: 'manual', reading });
        assert.ok(stored.intervals > 2 * 3 * 288, `stored ${stored.intervals} values`);

        const exp = await exportSessionAbntFile(a.db, stored.sessionId);
        assert.equal(exp.layout, 'fk7');
        assert.equal(exp.bytes.length % 256, 0);
        assert.equal(parseAbntFileName(exp.name)?.serialSuffix, sim.serial.slice(-5));
        // Everything the meter answered, minus its 0x39/0x40 exception answers (the simulator has none here).
        const rx = (await readSessionFrames(a.db, stored.sessionId)).filter((f) => f.direction === 'rx');
        assert.equal(exp.blocks, rx.length);

        const rb = await register(b, sim);
        assert.deepEqual(await counts(b), EMPTY);
        const rep = await importAbntFiles(b, [{ name: exp.name, bytes: exp.bytes }], { actor: 'test:roundtrip' });
        assert.equal(rep.files.length, 1);
        const f = rep.files[0];
        assert.equal(f.duplicate, false);
        assert.equal(f.meterId, rb.meter.id);
        assert.equal(f.intervals, stored.intervals);
        assert.deepEqual(f.days, stored.days);
        assert.equal(f.expectedName, exp.name);

        // The same intervals: every day block of every channel, value by value, with the same marks.
        const blocksA = await dayBlocks(a, ra.meter.id);
        const blocksB = await dayBlocks(b, rb.meter.id);
        assert.ok(blocksA.length >= 12);
        assert.deepEqual(blocksB, blocksA);
        assert.ok(
          blocksB.some((x) => x.flags.some((fl) => fl & 2)),
          'the outage marks (power off) made it through the file',
        );

        // The same meter events (drift needs a reader clock: a file has none).
        const kinds = ['outage', 'alteration', 'demand_reset', 'constants_mismatch'];
        assert.deepEqual(await eventKeys(b, rb.meter.id, kinds), await eventKeys(a, ra.meter.id, kinds));
        assert.equal((await eventKeys(a, ra.meter.id, ['outage'])).length, 1, 'the outage is an event');
        assert.ok((await eventKeys(a, ra.meter.id, ['demand_reset'])).length > 0);

        // A session marked as imported from a file, with its frames, snapshots, dirty marks and an audit row.
        const s = await readSession(b.db, f.sessionId!);
        assert.ok(s);
        assert.equal(s.sequence, FILE_SEQUENCE);
        assert.equal(s.purpose, 'manual');
        assert.equal(s.status, 'ok');
        assert.equal(s.job_id, `abnt-file:${f.sha256.slice(0, 16)}`);
        assert.equal(s.meter_serial, sim.serial);
        assert.equal(s.intervals, stored.intervals);
        assert.ok(s.warnings[0].includes(exp.name));
        const c = await counts(b);
        assert.equal(c.sessions, 1);
        assert.equal(c.frames, 1);
        assert.equal(c.audits, 1);
        assert.ok(c.snapshots >= 2, 'register and instant snapshots');
        assert.ok(c.dirty > 0, 'VEE dirty marks for the point-days');
        const audit = await b.db
          .selectFrom('audit_log')
          .selectAll()
          .where('entity', '=', 'abnt_file')
          .executeTakeFirst();
        assert.equal(audit?.actor, 'test:roundtrip');
        assert.equal(audit?.entity_id, String(f.sessionId));

        // Exporting the imported session gives back the same file, byte for byte.
        const again = await exportSessionAbntFile(b.db, f.sessionId!);
        assert.equal(again.name, exp.name);
        assert.deepEqual(again.bytes, exp.bytes);

        // Importing it twice is recognised and adds nothing.
        const before = await counts(b);
        const dup = await importAbntFiles(b, [{ name: exp.name, bytes: exp.bytes }], { actor: 'test:roundtrip' });
        assert.equal(dup.files[0].duplicate, true);
        assert.equal(dup.files[0].sessionId, f.sessionId);
        assert.deepEqual(await counts(b), before);

        // The CRC-keeping layout round-trips too (and is recognised by 'auto').
        const withCrc = await exportSessionAbntFile(a.db, stored.sessionId, { layout: 'fk7-crc' });
        const c2 = await backend.open();
        try {
          await register(c2, sim);
          const r2 = await importAbntFiles(c2, [{ name: withCrc.name, bytes: withCrc.bytes }], { actor: 'test' });
          assert.equal(r2.files[0].layout, 'fk7-crc');
          assert.deepEqual(await dayBlocks(c2, r2.files[0].meterId), blocksA);
        } finally {
          await c2.close();
        }

        // ----------------------------------------------------------------------------------------------------------
        // Bad files import nothing, into a fresh store, alone or next to a good file.
        const bad = await backend.open();
        try {
          await register(bad, sim);
          const good = { name: exp.name, bytes: exp.bytes };
          const flipped = withCrc.bytes.slice();
          flipped[5 * 258 + 256] ^= 0xff;
          const truncated = exp.bytes.slice(0, exp.bytes.length - 37);
          const cases: { what: string; file: { name: string; bytes: Uint8Array }; opts?: object; check: RegExp }[] = [
            { what: 'flipped CRC', file: { name: 'crc.fk7', bytes: flipped }, check: /block 6 \(offset 1290\).*CRC/ },
            { what: 'truncated block', file: { name: 't.fk7', bytes: truncated }, check: /only 219 byte/ },
            {
              what: 'wrong length (258-byte blocks read as 256)',
              file: { name: 'len.fk7', bytes: withCrc.bytes.slice(0, 3 * 258) },
              opts: { layout: 'fk7' },
              check: /block 4 \(offset 768\).*whole number of 256-byte blocks/,
            },
            {
              what: 'wrong meter (asked for another)',
              file: good,
              opts: { meterSerial: '99999999' },
              check: /block 1 \(offset 1\): the blocks are from meter/,
            },
          ];
          for (const k of cases) {
            for (const batch of [[k.file], [good, k.file]]) {
              await assert.rejects(
                importAbntFiles(bad, batch, { actor: 'test', ...k.opts }),
                (e) => isFronteiraError(e) && k.check.test(e.message),
                k.what,
              );
              assert.deepEqual(await counts(bad), EMPTY, `${k.what}: nothing imported`);
            }
          }
        } finally {
          await bad.close();
        }

        // A meter the registry does not know.
        const unknown = await backend.open();
        try {
          await register(unknown, sim, '11112222');
          await assert.rejects(
            importAbntFiles(unknown, [{ name: exp.name, bytes: exp.bytes }], { actor: 'test' }),
            (e) =>
              isFronteiraError(e, 'FRONTEIRA_E_IMPORT') &&
              e.details.block === 1 &&
              /meter serial \d{8} is not registered/.test(e.message),
          );
          assert.deepEqual(await counts(unknown), EMPTY);
        } finally {
          await unknown.close();
        }

        // A dry run reports what would be stored and stores nothing.
        const dry = await backend.open();
        try {
          await register(dry, sim);
          const r = await importAbntFiles(dry, [{ name: exp.name, bytes: exp.bytes }], { actor: 'test', dryRun: true });
          assert.equal(r.dryRun, true);
          assert.equal(r.files[0].sessionId, null);
          assert.equal(r.files[0].intervals, stored.intervals);
          assert.ok(r.files[0].filledSlots > 0);
          assert.deepEqual(await counts(dry), EMPTY);
        } finally {
          await dry.close();
        }
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
