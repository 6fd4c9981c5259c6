import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { type ErrorCode, isFronteiraError } from '../domain/errors.ts';
import { listAudit } from '../store/audit.ts';
import { listActiveMeters, meterBySerial } from '../store/registry.ts';
import { addChannel, disableChannel, listChannels, updateChannel } from './channels.ts';
import { addMeter, getMeter, listMeters, retireMeter, swapMeter, updateMeter } from './meters.ts';
import { createPoint, getPoint, listPoints, retirePoint, updatePoint } from './points.ts';
import type { RegistryContext } from './rows.ts';

async function fails(p: Promise<unknown>, code: ErrorCode, field: string | null, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isFronteiraError(e, code), `expected ${code}, got ${String(e)}`);
    if (field !== null) assert.equal(e.details.field, field, e.message);
    assert.match(e.message, message);
    return true;
  });
}

const POINT = { code: 'spabcdef00001', name: 'Fábrica', kind: 'consumidor livre', segment: 'livre' };

for (const backend of backends) {
  describe(`registry service on ${backend.name}`, () => {
    test('validation errors name the field and why; missing and duplicate entities are typed', async () => {
      const store = await backend.open();
      try {
        const ctx: RegistryContext = { db: store.db, actor: 'test' };
        await fails(createPoint(ctx, { ...POINT, code: 'SHORT' }), 'FRONTEIRA_E_VALIDATION', 'code', /13 letters/);
        await fails(
          createPoint(ctx, { ...POINT, kind: 'cliente' }),
          'FRONTEIRA_E_VALIDATION',
          'kind',
          /one of fronteira/,
        );
        await fails(createPoint(ctx, { ...POINT, voltageKv: '-1' }), 'FRONTEIRA_E_VALIDATION', 'voltageKv', /above 0/);
        await fails(createPoint(ctx, { ...POINT, name: ' ' }), 'FRONTEIRA_E_VALIDATION', 'name', /required/);
        await fails(
          createPoint(ctx, { ...POINT, timezone: 'Mars/Base' }),
          'FRONTEIRA_E_VALIDATION',
          'timezone',
          /IANA/,
        );
        const p = await createPoint(ctx, { ...POINT, voltageKv: '13,8', tags: 'a, b,a' });
        assert.equal(p.code, 'SPABCDEF00001');
        assert.equal(p.voltage_kv, 13.8);
        assert.deepEqual(p.tags, ['a', 'b']);
        await fails(createPoint(ctx, POINT), 'FRONTEIRA_E_CONFLICT', 'code', /already registered/);
        await fails(updatePoint(ctx, 'SPNOSUCHPOINT', { name: 'x' }), 'FRONTEIRA_E_NOT_FOUND', null, /not registered/);

        const meter = { serial: '12345678', pointCode: p.code, role: 'principal' };
        await fails(addMeter(ctx, { ...meter, serial: '12A' }), 'FRONTEIRA_E_VALIDATION', 'serial', /digits/);
        await fails(addMeter(ctx, { ...meter, role: 'main2' }), 'FRONTEIRA_E_VALIDATION', 'role', /principal/);
        await fails(addMeter(ctx, { ...meter, mmIntervalS: 120 }), 'FRONTEIRA_E_VALIDATION', 'mmIntervalS', /300/);
        await fails(addMeter(ctx, { ...meter, tpRatio: 0 }), 'FRONTEIRA_E_VALIDATION', 'tpRatio', /above 0/);
        await fails(addMeter(ctx, { ...meter, memoryDays: 500 }), 'FRONTEIRA_E_VALIDATION', 'memoryDays', /1–400/);
        await fails(
          addMeter(ctx, { ...meter, channelMap: '0:01@1/0' }),
          'FRONTEIRA_E_VALIDATION',
          'channelMap',
          /denominator/,
        );
        await fails(
          addMeter(ctx, {
            ...meter,
            channelMap: [{ group: 1, channel: 2, quantityCode: 1, numerator: 1, denominator: 1 }],
          }),
          'FRONTEIRA_E_VALIDATION',
          'channelMap',
          /channel of group 1 must be 4–6/,
        );
        await fails(
          addMeter(ctx, { ...meter, validFrom: '01/01/2025', validTo: '01/01/2024' }),
          'FRONTEIRA_E_VALIDATION',
          'validTo',
          /after validFrom/,
        );
        await fails(
          addMeter(ctx, { ...meter, channel: { address: 'udp://x:1' } }),
          'FRONTEIRA_E_VALIDATION',
          'address',
          /unknown scheme/,
        );
        await fails(
          addMeter(ctx, { ...meter, channel: { address: 'tcp://h:1', readerSerial: '1234567' } }),
          'FRONTEIRA_E_VALIDATION',
          'readerSerial',
          /1–6 digits/,
        );
        await fails(
          addMeter(ctx, { ...meter, channel: { address: 'tcp://h:1', timers: 'bogusMs=1' } }),
          'FRONTEIRA_E_VALIDATION',
          'timers',
          /unknown timer 'bogusMs'/,
        );
        await fails(
          addMeter(ctx, { ...meter, pointCode: 'SPNOSUCHPOINT' }),
          'FRONTEIRA_E_NOT_FOUND',
          null,
          /not registered/,
        );
        await addMeter(ctx, meter);
        await fails(addMeter(ctx, meter), 'FRONTEIRA_E_CONFLICT', 'serial', /already registered/);
        await fails(
          addMeter(ctx, { ...meter, serial: '99' }),
          'FRONTEIRA_E_CONFLICT',
          'role',
          /already has a principal.*swap/,
        );
        await fails(disableChannel(ctx, 999), 'FRONTEIRA_E_NOT_FOUND', null, /channel 999/);
        await fails(disableChannel(ctx, 'x'), 'FRONTEIRA_E_VALIDATION', 'id', /channel id/);
        // Nothing half-written: only the point and the one good meter exist, and one audit row each.
        const audit = await listAudit(store.db, { limit: 100 });
        assert.deepEqual(
          audit.map((a) => `${a.action} ${a.entity}`),
          ['create meter', 'create point'],
        );
      } finally {
        await store.close();
      }
    });

    test('points: update, list with filters and pages, retire; every change audited, no-op updates not', async () => {
      const store = await backend.open();
      try {
        const ctx: RegistryContext = { db: store.db, actor: 'cli:ana', comment: 'test' };
        for (let i = 1; i <= 5; i++) {
          await createPoint(ctx, {
            code: `SPTEST${String(i).padStart(7, '0')}`,
            name: `Ponto ${i}`,
            kind: i <= 2 ? 'geracao' : 'fronteira',
            segment: i <= 2 ? 'geracao' : 'cativo',
            substation: i % 2 ? 'SE Norte' : 'SE Sul',
            customer: i === 4 ? 'Hospital 100% Saúde' : null,
            tags: i === 3 ? ['ufv', 'sp'] : [],
          });
        }
        const up = await updatePoint(ctx, 'SPTEST0000001', { loadCapacityKw: '2.500,5', name: 'Ponto 1' });
        assert.deepEqual(up.changed, ['loadCapacityKw']);
        assert.equal(up.point.load_capacity_kw, 2500.5);
        const same = await updatePoint(ctx, 'SPTEST0000001', { loadCapacityKw: 2500.5 });
        assert.deepEqual(same.changed, []);
        const cleared = await updatePoint(ctx, 'SPTEST0000004', { customer: '' });
        assert.deepEqual(cleared.changed, ['customer']);
        assert.equal(cleared.point.customer, null);

        const codes = async (q: Parameters<typeof listPoints>[1]) =>
          (await listPoints(store.db, q)).points.map((p) => p.code);
        assert.deepEqual(await codes({ kind: 'geração' }), ['SPTEST0000001', 'SPTEST0000002']);
        assert.deepEqual(await codes({ segment: 'cativo', substation: 'SE Norte' }), [
          'SPTEST0000003',
          'SPTEST0000005',
        ]);
        assert.deepEqual(await codes({ tag: 'ufv' }), ['SPTEST0000003']);
        assert.deepEqual(await codes({ search: 'ponto 5' }), ['SPTEST0000005']);
        assert.deepEqual(await codes({ search: '100%' }), [], 'LIKE wildcards in the text are literal');
        const page = await listPoints(store.db, { limit: 2, offset: 2 });
        assert.equal(page.total, 5);
        assert.deepEqual(
          page.points.map((p) => p.code),
          ['SPTEST0000003', 'SPTEST0000004'],
        );

        await addMeter(ctx, { serial: '111', pointCode: 'SPTEST0000005', role: 'principal', validFrom: '2024-01-01' });
        const retired = await retirePoint(ctx, 'SPTEST0000005', { at: '01/03/2025 00:00' });
        assert.equal(retired.retired_at?.toISOString(), '2025-03-01T03:00:00.000Z');
        assert.equal((await meterBySerial(store.db, '111'))?.id, undefined, 'its meter is closed');
        assert.equal((await meterBySerial(store.db, '111', new Date('2025-02-01')))?.serial, '111');
        await fails(retirePoint(ctx, 'SPTEST0000005'), 'FRONTEIRA_E_CONFLICT', 'code', /already retired/);
        assert.deepEqual(await codes({ segment: 'cativo', substation: 'SE Norte' }), ['SPTEST0000003']);
        assert.equal((await listPoints(store.db, { includeRetired: true })).total, 5);
        await fails(listPoints(store.db, { limit: 0 }), 'FRONTEIRA_E_VALIDATION', 'limit', /1–10000/);

        const log = await listAudit(store.db, { entity: 'point', entityId: 'SPTEST0000001', limit: 10 });
        assert.deepEqual(
          log.map((a) => a.action),
          ['update', 'create'],
        );
        assert.equal(log[0].actor, 'cli:ana');
        assert.equal(log[0].comment, 'test');
        assert.deepEqual(log[0].before, { loadCapacityKw: null });
        assert.deepEqual(log[0].after, { loadCapacityKw: 2500.5 });
        const retires = await listAudit(store.db, { limit: 10 });
        assert.deepEqual(
          retires.slice(0, 2).map((a) => `${a.action} ${a.entity}`),
          ['retire point', 'retire meter'],
        );
      } finally {
        await store.close();
      }
    });

    test('meters and channels: roles, swap keeps history, retire, channel add/update/disable, audit', async () => {
      const store = await backend.open();
      try {
        const ctx: RegistryContext = { db: store.db, actor: 'cli:bruno' };
        await createPoint(ctx, POINT);
        const principal = await addMeter(ctx, {
          serial: '11111111',
          pointCode: POINT.code,
          role: 'principal',
          validFrom: '01/01/2024',
          tpRatio: '120',
          tcRatio: '40',
          channelMap: '0:01/10/11@1/100,1/100,1/100',
          channel: { address: 'tcp://Modem-1:4001/', readerSerial: '7' },
        });
        const backup = await addMeter(ctx, {
          serial: '22222222',
          pointCode: POINT.code,
          role: 'retaguarda',
          validFrom: '01/01/2024',
        });
        const c1 = (await listChannels(store.db, { meterSerial: '11111111' })).channels[0];
        assert.equal(c1.address, 'tcp://modem-1:4001', 'address normalized');
        assert.equal(c1.concurrency_group, 'tcp://modem-1:4001', 'group defaults to the address');
        assert.equal(c1.reader_serial, '000007');
        await fails(
          addChannel(ctx, { meterSerial: '11111111', address: 'tcp://modem-1:4001' }),
          'FRONTEIRA_E_CONFLICT',
          'address',
          /already has a channel/,
        );
        const c2 = await addChannel(ctx, {
          meterSerial: '22222222',
          address: 'serial:///dev/ttyUSB0?baud=9600',
          directional: 'sim',
          packing: 'lsn-first',
          timers: 'enqTimeoutMs=8000',
        });
        assert.equal(c2.kind, 'serial');
        assert.equal(c2.directional, true);
        assert.deepEqual(c2.timers, { enqTimeoutMs: 8000 });
        const moved = await updateChannel(ctx, c2.id, { address: 'serial:///dev/ttyUSB1', priority: '5' });
        assert.deepEqual(moved.changed.sort(), ['address', 'concurrencyGroup', 'priority']);
        assert.equal(moved.channel.concurrency_group, 'serial:///dev/ttyUSB1?baud=9600', 'group followed the address');
        assert.deepEqual((await updateChannel(ctx, c2.id, { priority: 5 })).changed, []);
        await disableChannel(ctx, c2.id);
        await fails(disableChannel(ctx, c2.id), 'FRONTEIRA_E_CONFLICT', 'id', /already disabled/);
        assert.equal((await listChannels(store.db, { meterSerial: '22222222' })).total, 0);
        assert.equal((await listChannels(store.db, { meterSerial: '22222222', includeDisabled: true })).total, 1);

        const upd = await updateMeter(ctx, '22222222', { model: 'ELO 2113', memoryDays: 60 });
        assert.deepEqual(upd.changed.sort(), ['memoryDays', 'model']);
        await fails(
          updateMeter(ctx, '22222222', { role: 'principal' }),
          'FRONTEIRA_E_CONFLICT',
          'role',
          /already has a principal meter \(11111111\)/,
        );

        // Swap the principal on 10/06/2025 12:00 (Brasília).
        const swap = await swapMeter(ctx, {
          serial: '11111111',
          newSerial: '33333333',
          at: '10/06/2025 12:00',
          model: 'NOVO',
        });
        const at = new Date('2025-06-10T15:00:00Z');
        assert.equal(swap.old.valid_to?.toISOString(), at.toISOString());
        assert.equal(swap.meter.valid_from.toISOString(), at.toISOString());
        assert.equal(swap.meter.role, 'principal');
        assert.equal(swap.meter.tp_ratio, 120, 'installation fields inherited');
        assert.deepEqual(swap.meter.channel_map, principal.channel_map);
        assert.equal(swap.meter.model, 'NOVO');
        assert.deepEqual(
          swap.channels.map((c) => [c.address, c.reader_serial, c.concurrency_group]),
          [['tcp://modem-1:4001', '000007', 'tcp://modem-1:4001']],
          "the old meter's channel is copied",
        );
        // History: before the swap the old meter is the one valid, after it the new one.
        assert.equal((await meterBySerial(store.db, '11111111', new Date('2025-06-10T14:59:59Z')))?.id, principal.id);
        assert.equal(await meterBySerial(store.db, '11111111', at), undefined);
        assert.equal((await meterBySerial(store.db, '33333333', at))?.id, swap.meter.id);
        assert.equal(await meterBySerial(store.db, '33333333', new Date('2025-06-10T14:59:59Z')), undefined);
        const active = await listActiveMeters(store.db, new Date('2025-07-01'));
        assert.deepEqual(
          active.map((a) => [a.meter.serial, a.meter.role, a.channels.length]),
          [
            ['33333333', 'principal', 1],
            ['22222222', 'retaguarda', 0],
          ],
        );
        const detail = await getPoint(store.db, POINT.code);
        assert.deepEqual(
          detail.meters.map((m) => m.meter.serial),
          ['11111111', '33333333', '22222222'],
        );
        assert.equal(
          (await listMeters(store.db, { pointCode: POINT.code, validAt: null })).total,
          3,
          'history included on request',
        );
        assert.equal((await listMeters(store.db, { pointCode: POINT.code })).total, 2);
        await fails(
          swapMeter(ctx, { serial: '11111111', newSerial: '44444444', at: '2025-07-01' }),
          'FRONTEIRA_E_CONFLICT',
          'at',
          /not in service/,
        );
        await fails(
          swapMeter(ctx, { serial: '33333333', newSerial: '22222222', at: '2025-07-01' }),
          'FRONTEIRA_E_CONFLICT',
          'serial',
          /22222222 is already registered/,
        );

        const retired = await retireMeter(ctx, '22222222', { at: '2025-08-01T00:00:00Z' });
        assert.equal(retired.valid_to?.toISOString(), '2025-08-01T00:00:00.000Z');
        await fails(retireMeter(ctx, '22222222'), 'FRONTEIRA_E_CONFLICT', 'serial', /already retired/);
        // The old serial can come back later as a new version (e.g. after calibration) on the same point.
        await addMeter(ctx, { serial: '22222222', pointCode: POINT.code, role: 'retaguarda', validFrom: '2025-09-01' });
        assert.deepEqual(
          (await getMeter(store.db, '22222222')).map((v) => [
            v.meter.valid_from.toISOString(),
            v.meter.valid_to?.toISOString(),
          ]),
          [
            ['2024-01-01T03:00:00.000Z', '2025-08-01T00:00:00.000Z'],
            ['2025-09-01T03:00:00.000Z', undefined],
          ],
        );

        const meterLog = await listAudit(store.db, { entity: 'meter', limit: 100 });
        const actions = meterLog.map((a) => `${a.action} ${a.entity_id}`).reverse();
        assert.deepEqual(actions.slice(0, 2), [`create ${principal.id}`, `create ${backup.id}`]);
        assert.ok(actions.includes(`update ${backup.id}`));
        assert.ok(actions.includes(`swap ${principal.id}`));
        assert.ok(actions.includes(`create ${swap.meter.id}`));
        assert.ok(actions.includes(`retire ${backup.id}`));
        const swapRow = meterLog.find((a) => a.action === 'swap')!;
        assert.equal(swapRow.actor, 'cli:bruno');
        assert.deepEqual(swapRow.after, {
          serial: '11111111',
          validTo: at.toISOString(),
          replacedBy: '33333333',
          replacedById: swap.meter.id,
        });
        const channelLog = await listAudit(store.db, { entity: 'channel', limit: 100 });
        assert.deepEqual(channelLog.map((a) => a.action).reverse(), [
          'create',
          'create',
          'update',
          'disable',
          'create',
        ]);
      } finally {
        await store.close();
      }
    });
  });
}
