import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends, insertTestPoint } from '../../test/helpers/stores.ts';
import { Random } from '../domain/random.ts';
import { withTransaction } from './bulk.ts';
import type { RawFrame } from './frames.ts';
import { insertMeter } from './registry.ts';
import {
  allocateSessionIds,
  copySessionFrames,
  copySessions,
  findSessions,
  listSessions,
  readSession,
  readSessionFrames,
  type SessionRecord,
} from './sessions.ts';

function record(id: number, meterId: number, startedAt: number, over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    meterId,
    channelId: null,
    purpose: 'daily',
    sequence: 'memoria',
    status: 'ok',
    startedAt,
    endedAt: startedAt + 1234,
    steps: [{ index: 0, label: '51 g0', trace: [{ atMs: 1, bytes: Uint8Array.of(1, 2) }] }],
    bytesIn: 5000,
    bytesOut: 300,
    failureStep: null,
    errorCode: null,
    errorMessage: null,
    meterSerial: '12345678',
    driftS: -4,
    intervals: 864,
    jobId: 'job-1',
    warnings: ['a\twarning', 'with "quotes"'],
    ...over,
  };
}

for (const backend of backends) {
  describe(`read_session SQL on ${backend.name}`, () => {
    test('sessions and their frame blobs round-trip; stored sessions are found by meter, start and sequence', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const m = await insertMeter(store.db, p.id, { serial: '12345678', role: 'principal' });
        const t0 = Date.UTC(2024, 4, 1, 3);
        const r = new Random('sessions');
        const frames: RawFrame[] = Array.from({ length: 12 }, (_, i) => ({
          at: t0 + i * 137,
          direction: i % 2 ? 'rx' : 'tx',
          step: i >> 1,
          bytes: r.bytes(i % 2 ? 258 : 66),
        }));
        const ids = await withTransaction(store, async (tx) => {
          const ids = await allocateSessionIds(tx, 3);
          assert.equal(new Set(ids).size, 3);
          await copySessions(tx, [
            record(ids[0], m.id, t0),
            record(ids[1], m.id, t0 + 60_000, {
              status: 'failed',
              failureStep: '52 g0',
              errorCode: 'FRONTEIRA_E_LINK_NO_RESPONSE',
              errorMessage: 'no answer\nafter 3 tries',
              driftS: null,
              meterSerial: null,
              jobId: null,
            }),
            record(ids[2], m.id, t0 + 120_000, { sequence: 'verificacao' }),
          ]);
          await copySessionFrames(tx, [
            { sessionId: ids[0], frames },
            { sessionId: ids[1], frames: [] },
          ]);
          return ids;
        });
        const s0 = await readSession(store.db, ids[0]);
        assert.equal(s0?.status, 'ok');
        assert.equal(s0?.started_at.getTime(), t0);
        assert.equal(s0?.ended_at?.getTime(), t0 + 1234);
        assert.deepEqual(s0?.steps, [{ index: 0, label: '51 g0', trace: [{ atMs: 1, bytes: '0102' }] }]);
        assert.deepEqual(s0?.warnings, ['a\twarning', 'with "quotes"']);
        assert.equal(s0?.drift_s, -4);
        assert.equal(s0?.intervals, 864);
        const s1 = await readSession(store.db, ids[1]);
        assert.equal(s1?.error_message, 'no answer\nafter 3 tries');
        assert.equal(s1?.failure_step, '52 g0');
        assert.equal(s1?.meter_serial, null);
        assert.deepEqual(await readSessionFrames(store.db, ids[0]), frames);
        assert.deepEqual(await readSessionFrames(store.db, ids[1]), []);
        assert.deepEqual(await readSessionFrames(store.db, ids[2]), []);
        const fc = await store.pool.query('SELECT session_id, frame_count FROM read_session_frames ORDER BY 1');
        assert.deepEqual(
          fc.rows.map((x) => x.frame_count),
          [12, 0],
        );

        const found = await withTransaction(store, (tx) =>
          findSessions(tx, [
            { meterId: m.id, startedAt: t0 + 60_000, sequence: 'memoria' },
            { meterId: m.id, startedAt: t0 + 120_000, sequence: 'memoria' },
          ]),
        );
        assert.deepEqual(found, [
          { id: ids[1], meterId: m.id, startedAt: t0 + 60_000, sequence: 'memoria', status: 'failed', intervals: 864 },
        ]);
        const listed = await listSessions(store.db, { meterId: m.id, limit: 2 });
        assert.deepEqual(
          listed.map((s) => s.id),
          [ids[2], ids[1]],
        );
        assert.deepEqual(
          (await listSessions(store.db, { meterId: m.id, before: new Date(t0 + 60_000) })).map((s) => s.id),
          [ids[0]],
        );
        // A session inserted the ordinary way gets a fresh id after the allocated ones.
        const next = await store.db
          .insertInto('read_session')
          .values({
            meter_id: m.id,
            channel_id: null,
            purpose: 'manual',
            sequence: 'relogio',
            status: 'running',
            started_at: new Date(),
            ended_at: null,
            steps: '[]',
            failure_step: null,
            error_code: null,
            error_message: null,
            meter_serial: null,
            drift_s: null,
            job_id: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        assert.ok(next.id > Math.max(...ids));
      } finally {
        await store.close();
      }
    });
  });
}
