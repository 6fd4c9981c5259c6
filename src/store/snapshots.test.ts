import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startTestMeter } from '../../test/helpers/sim-meter.ts';
import { backends, insertTestPoint } from '../../test/helpers/stores.ts';
import { ingestReading } from '../collect/ingest.ts';
import { readMeter } from '../collect/session/read-meter.ts';
import { insertMeter } from './registry.ts';
import { latestSnapshots, listSnapshots, type RegisterSnapshotChannel } from './snapshots.ts';

const servers: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

for (const backend of backends) {
  describe(`meter snapshots on ${backend.name}`, () => {
    test('a verificação stores register totals and instantaneous values once, consistent with the meter', async () => {
      const { meter: sim, server, address } = await startTestMeter({ seed: 44 });
      servers.push(server);
      const reading = await readMeter(address, { sequence: 'verificacao', groups: [0] });
      assert.ok(reading.ok);
      const store = await backend.open();
      try {
        const point = await insertTestPoint(store.db, sim.pointCode);
        const meter = await insertMeter(store.db, point.id, { serial: sim.serial, role: sim.role });
        await ingestReading(store, { meter, point, channel: null, purpose: 'manual', reading });
        const window = { meterIds: [meter.id], from: new Date(0), to: new Date(Date.now() + 86_400_000) };
        const regs = await listSnapshots(store.db, { ...window, kind: 'registers_current' });
        assert.equal(regs.length, 1);
        const channels = regs[0].data.channels as RegisterSnapshotChannel[];
        assert.deepEqual(
          channels.map((c) => c.quantityCode),
          sim.quantityCodes(0),
        );
        const k = sim.constants(0)[0];
        assert.equal(channels[0].energy, ((channels[0].totalRaw ?? 0) * k.numerator) / k.denominator);
        const inst = await latestSnapshots(store.db, {
          meterIds: [meter.id],
          kind: 'instant',
          at: new Date(Date.now() + 60_000),
        });
        assert.equal(inst.length, 1);
        assert.ok((inst[0].data.frequencyHz as number) > 55);
        // The same reading again adds nothing.
        await ingestReading(store, {
          meter,
          point,
          channel: null,
          purpose: 'manual',
          reading: { ...reading, startedAt: reading.startedAt + 1 },
        });
        assert.equal((await listSnapshots(store.db, { ...window, kind: 'registers_current' })).length, 1);
      } finally {
        await store.close();
      }
    });
  });
}
