import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { makeFleet, registryFile } from '../simulator/fleet-config.ts';
import { countAudit, listAudit } from '../store/audit.ts';
import type { Store } from '../store/pool.ts';
import { listActiveMeters, meterBySerial } from '../store/registry.ts';
import { addChannel, disableChannel } from './channels.ts';
import { exportRegistryCsv } from './csv.ts';
import type { ImportProblem } from './import.ts';
import { importRegistryFile } from './import-file.ts';
import { addMeter, swapMeter } from './meters.ts';
import { createPoint, retirePoint } from './points.ts';
import type { RegistryContext } from './rows.ts';

const ctxOf = (store: Store, actor = 'test'): RegistryContext => ({ db: store.db, actor });

/** A registry with what a spreadsheet must carry: history, a retired point, settings, decimals, another zone. */
async function seed(store: Store): Promise<void> {
  const ctx = ctxOf(store, 'seed');
  await createPoint(ctx, {
    code: 'SPFABRICA0001',
    name: 'Fábrica; Norte "A"',
    kind: 'consumidor_livre',
    segment: 'livre',
    customer: 'ACME S.A.',
    substation: 'SE Centro',
    voltageKv: 13.8,
    loadCapacityKw: 1234.567,
    tags: ['industrial', 'sp'],
  });
  await addMeter(ctx, {
    serial: '10000001',
    pointCode: 'SPFABRICA0001',
    role: 'principal',
    manufacturer: 'Landis',
    model: 'E750',
    validFrom: '01/01/2023',
    tpRatio: 120,
    tcRatio: 0.5,
    constantsIncludeRatios: false,
    demandIntervalMin: 15,
    memoryDays: 45,
    channelMap: '0:01/10/11@1/100,1/200,1/200|1:14/15/16@1/100,1/200,1/200',
    channel: { address: 'tcp://10.1.1.1:4001', readerSerial: '123', concurrencyGroup: 'modem-A', directional: true },
  });
  await swapMeter(ctx, { serial: '10000001', newSerial: '10000002', at: '15/03/2025 10:20:30' });
  await addMeter(ctx, {
    serial: '20000001',
    pointCode: 'SPFABRICA0001',
    role: 'retaguarda',
    channel: { address: 'serial:///dev/ttyUSB0?baud=4800&dtr=0', packing: 'lsn-first' },
  });
  await createPoint(ctx, {
    code: 'AMUSINA000002',
    name: 'Usina',
    kind: 'geracao',
    segment: 'geracao',
    timezone: 'America/Manaus',
  });
  await addMeter(ctx, {
    serial: '30000001',
    pointCode: 'AMUSINA000002',
    role: 'principal',
    validFrom: '2024-05-01T08:00',
  });
  await createPoint(ctx, { code: 'RJSEMMEDIDOR3', name: 'Sem medidor', kind: 'fronteira', segment: 'cativo' });
  await createPoint(ctx, { code: 'MGANTIGO00004', name: 'Antigo', kind: 'distribuidora', segment: 'faturamento' });
  await addMeter(ctx, { serial: '40000001', pointCode: 'MGANTIGO00004', role: 'principal', validFrom: '2020-01-01' });
  await retirePoint(ctx, 'MGANTIGO00004', { at: '2024-12-31 23:59' });
}

function problemsOf(e: unknown): ImportProblem[] {
  assert.ok(isFronteiraError(e, 'FRONTEIRA_E_IMPORT'), String(e));
  return e.details.errors as ImportProblem[];
}

for (const backend of backends) {
  describe(`registry import on ${backend.name}`, () => {
    test('CSV round trip: export → import into an empty store → export is identical; re-import changes nothing', async () => {
      const a = await backend.open();
      const b = await backend.open();
      try {
        await seed(a);
        const csv = await exportRegistryCsv(a.db);
        assert.ok(csv.startsWith('\uFEFFcodigo_ponto;nome;tipo;'), 'BOM and ; for Excel');
        assert.match(csv, /\r\n/);
        const lines = csv.split('\r\n');
        assert.equal(lines.length, 1 + 6 + 1, 'header, one line per meter or meterless point, final newline');
        assert.ok(lines.some((l) => l.startsWith('RJSEMMEDIDOR3;Sem medidor;fronteira;cativo;')));
        assert.ok(
          lines.some((l) => l.includes(';13,8;1234,567;industrial,sp;')),
          'decimal comma',
        );
        assert.ok(
          lines.some((l) => l.includes(';15/03/2025 10:20:30;')),
          'swap instant, seconds kept',
        );

        const first = await importRegistryFile(ctxOf(b), csv, { source: 'cadastro.csv' });
        assert.equal(first.format, 'csv');
        assert.deepEqual(first.counts, {
          points: { created: 4, updated: 0, unchanged: 0 },
          meters: { created: 5, updated: 0, unchanged: 0 },
          channels: { created: 3, updated: 0, unchanged: 0, disabled: 0 },
        });
        assert.equal(await exportRegistryCsv(b.db), csv);
        const old = await meterBySerial(b.db, '10000001', new Date('2025-03-15T13:20:29Z'));
        assert.equal(old?.valid_to?.toISOString(), '2025-03-15T13:20:30.000Z', 'history survives the round trip');
        assert.equal((await meterBySerial(b.db, '10000002'))?.valid_from.toISOString(), '2025-03-15T13:20:30.000Z');

        const audits = await countAudit(b.db);
        assert.equal(audits, 4 + 5 + 3, 'one audit row per created entity');
        const again = await importRegistryFile(ctxOf(b), csv, { source: 'cadastro.csv' });
        assert.deepEqual(again.counts, {
          points: { created: 0, updated: 0, unchanged: 4 },
          meters: { created: 0, updated: 0, unchanged: 5 },
          channels: { created: 0, updated: 0, unchanged: 3, disabled: 0 },
        });
        assert.deepEqual(again.changes, []);
        assert.equal(await countAudit(b.db), audits, 'no audit rows for unchanged entities');
        // Importing the export back into the store it came from changes nothing either.
        const back = await importRegistryFile(ctxOf(a), csv);
        assert.equal(back.changes.length, 0);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('bad lines: every one reported with line and column, nothing applied; consistency across lines', async () => {
      const store = await backend.open();
      try {
        await seed(store);
        const before = await exportRegistryCsv(store.db);
        const audits = await countAudit(store.db);
        const lines = before
          .replace(/^\uFEFF/, '')
          .trimEnd()
          .split('\r\n');
        const header = lines[0].split(';');
        const cell = (line: string, column: string, value: string) => {
          const cells = (parse(line, { delimiter: ';' }) as string[][])[0];
          cells[header.indexOf(column)] = value;
          return stringify([cells], { delimiter: ';' }).trimEnd();
        };
        // Keep the good lines (with a change that would apply) and add three bad ones.
        const good = lines.slice(1).map((l) => (l.startsWith('RJSEMMEDIDOR3') ? cell(l, 'nome', 'Renomeado') : l));
        const newMeter = (i: number) =>
          cell(cell(good[0], 'codigo_ponto', `SPNOVO000000${i}`), 'serie_medidor', `5000000${i}`);
        const bad = [
          cell(newMeter(1), 'tensao_kv', 'treze'),
          cell(newMeter(2), 'papel', 'reserva'),
          cell(cell(newMeter(3), 'valido_desde', ''), 'endereco', 'tcp://semporta'),
        ];
        const csv = [lines[0], ...good, ...bad].join('\n');
        const err = await importRegistryFile(ctxOf(store), csv, { source: 'errado.csv' }).catch((e) => e);
        const problems = problemsOf(err);
        const n = good.length + 2;
        assert.deepEqual(
          problems.map((p) => `${p.line}:${p.column}`),
          [`${n}:tensao_kv`, `${n + 1}:papel`, `${n + 2}:endereco`],
        );
        assert.match(err.message, /errado\.csv rejected, nothing was changed: 3 errors/);
        assert.match(err.message, new RegExp(`line ${n}, column tensao_kv: is not a number`));
        assert.match(err.message, new RegExp(`line ${n + 2}, column endereco: missing or invalid port`));
        assert.equal(await exportRegistryCsv(store.db), before, 'nothing changed');
        assert.equal(await countAudit(store.db), audits);

        // Dry run of the good lines only: reports the change, applies nothing.
        const dry = await importRegistryFile(ctxOf(store), [lines[0], ...good].join('\n'), { dryRun: true });
        assert.equal(dry.dryRun, true);
        assert.deepEqual(dry.changes, ['update point RJSEMMEDIDOR3 (nome)']);
        assert.equal(await exportRegistryCsv(store.db), before);

        // Consistency: a point's columns disagree, a serial twice, two principals at once.
        const fab = good.find((l) => l.includes(';10000002;'))!;
        const incoherent = [
          lines[0],
          cell(fab, 'cliente', 'Outro Cliente'),
          fab,
          cell(cell(fab, 'serie_medidor', '60000001'), 'endereco', 'tcp://10.9.9.9:1'),
        ].join('\n');
        const p2 = problemsOf(await importRegistryFile(ctxOf(store), incoherent).catch((e) => e));
        assert.deepEqual(
          p2.map((p) => `${p.line}:${p.column}`),
          ['3:cliente', '3:serie_medidor', '4:cliente', '4:papel'],
        );
        assert.match(p2[0].reason, /'Outro Cliente' on line 2 but 'ACME S\.A\.' here/);
        assert.match(p2[1].reason, /meter 10000002 valid from .* is also on line 2/);
        assert.match(p2[3].reason, /two principal meters at once: 60000001 here and 10000002 on line 2/);
        assert.equal(await exportRegistryCsv(store.db), before);
      } finally {
        await store.close();
      }
    });

    test('updates through a sheet: changed fields audited, a new address replaces the primary channel', async () => {
      const store = await backend.open();
      try {
        const ctx = ctxOf(store, 'cli:carla');
        await createPoint(ctx, { code: 'SPPONTO000001', name: 'P', kind: 'fronteira', segment: 'cativo' });
        await addMeter(ctx, {
          serial: '123',
          pointCode: 'SPPONTO000001',
          role: 'principal',
          channel: { address: 'tcp://a:1', priority: 1 },
        });
        const backupChannel = await addChannel(ctx, { meterSerial: '123', address: 'tcp://b:2' });
        await disableChannel(ctx, backupChannel.id);
        const audits = await countAudit(store.db);
        // A partial sheet: only the columns the analyst cares about; the rest stays as it is.
        const sheet = 'codigo_ponto,serie_medidor,rtp,endereco\nSPPONTO000001,123,"13,8",tcp://c:3\n';
        const r = await importRegistryFile(ctx, sheet, { source: 'parcial.csv' });
        assert.deepEqual(r.counts, {
          points: { created: 0, updated: 0, unchanged: 1 },
          meters: { created: 0, updated: 1, unchanged: 0 },
          channels: { created: 1, updated: 0, unchanged: 0, disabled: 1 },
        });
        assert.deepEqual(r.changes, [
          'update meter 123 (rtp)',
          'create channel tcp://c:3 for meter 123',
          'disable channel tcp://a:1 of meter 123 (replaced by tcp://c:3)',
        ]);
        const [active] = await listActiveMeters(store.db);
        assert.equal(active.meter.tp_ratio, 13.8);
        assert.equal(active.point.name, 'P');
        assert.deepEqual(
          active.channels.map((c) => [c.address, c.concurrency_group]),
          [['tcp://c:3', 'tcp://c:3']],
        );
        assert.equal(await countAudit(store.db), audits + 3);
        const log = await listAudit(store.db, { limit: 3 });
        assert.ok(log.every((a) => a.actor === 'cli:carla' && a.comment === 'registry import parcial.csv'));
        const meterUpdate = log.find((a) => a.entity === 'meter')!;
        assert.deepEqual(meterUpdate.before, { serial: '123', tpRatio: 1 });
        assert.deepEqual(meterUpdate.after, { serial: '123', tpRatio: 13.8 });
        // Naming the disabled old channel again brings it back as the primary.
        const r2 = await importRegistryFile(ctx, sheet.replace('tcp://c:3', 'tcp://b:2'));
        assert.deepEqual(r2.changes, [
          'update channel tcp://b:2 of meter 123 (enabled)',
          'disable channel tcp://c:3 of meter 123 (replaced by tcp://b:2)',
        ]);
        // A new meter needs its role; a new point its name, kind and segment.
        const p = problemsOf(
          await importRegistryFile(ctx, 'codigo_ponto;serie_medidor\nSPPONTO000001;999\nSPNOVO0000001;\n').catch(
            (e) => e,
          ),
        );
        assert.deepEqual(
          p.map((x) => `${x.line}:${x.column}:${x.reason}`),
          [
            '2:papel:is required for a new meter (999)',
            '3:nome:is required for a new point (SPNOVO0000001)',
            '3:tipo:is required for a new point (SPNOVO0000001)',
            '3:segmento:is required for a new point (SPNOVO0000001)',
          ],
        );
      } finally {
        await store.close();
      }
    });

    test('simulator registry: 10 meters with channels and channel maps, idempotent, JSON detected', async () => {
      const store = await backend.open();
      try {
        const fleet = makeFleet({ meters: 10, seed: 5, basePort: 24_000 });
        const file = registryFile(fleet);
        const json = JSON.stringify(file, null, 2);
        const r = await importRegistryFile(ctxOf(store), new TextEncoder().encode(json), { source: 'registry.json' });
        assert.equal(r.format, 'simulator-json');
        assert.equal(r.counts.meters.created, 10);
        assert.equal(r.counts.channels.created, 10);
        assert.equal(r.counts.points.created, file.points.length);
        const active = await listActiveMeters(store.db);
        assert.equal(active.length, 10);
        for (const m of file.meters) {
          const a = active.find((x) => x.meter.serial === m.serial)!;
          assert.equal(a.point.code, m.pointCode);
          assert.equal(a.meter.role, m.role);
          assert.equal(a.meter.mm_interval_s, m.massMemoryIntervalSeconds);
          assert.equal(a.meter.demand_interval_min, m.demandIntervalMinutes);
          assert.deepEqual(
            a.meter.channel_map,
            m.channelGroups.flatMap((g) =>
              g.quantityCodes.map((q, i) => ({
                group: g.group,
                channel: 3 * g.group + i + 1,
                quantityCode: q,
                numerator: g.constants[i].numerator,
                denominator: g.constants[i].denominator,
              })),
            ),
          );
          assert.deepEqual(
            a.channels.map((c) => [c.kind, c.address, c.concurrency_group]),
            [['tcp', m.address, m.address]],
          );
        }
        const p = file.points[0];
        const point = active.find((a) => a.point.code === p.code)!.point;
        const expected = {
          'consumidor livre': ['consumidor_livre', 'livre'],
          'consumidor especial': ['consumidor_especial', 'livre'],
          gerador: ['geracao', 'geracao'],
        }[p.customer.category];
        assert.deepEqual([point.kind, point.segment], expected);
        assert.equal(point.name, p.customer.name);
        assert.equal(point.load_capacity_kw, p.capacityKw);
        assert.deepEqual(point.tags, ['simulado', p.shape, p.customer.uf]);

        const audits = await countAudit(store.db);
        const again = await importRegistryFile(ctxOf(store), json);
        assert.deepEqual(again.counts, {
          points: { created: 0, updated: 0, unchanged: file.points.length },
          meters: { created: 0, updated: 0, unchanged: 10 },
          channels: { created: 0, updated: 0, unchanged: 10, disabled: 0 },
        });
        assert.equal(await countAudit(store.db), audits);

        // A broken file names the JSON paths, and changes nothing.
        const broken = structuredClone(file);
        broken.meters[2].role = 'chefe' as never;
        broken.meters[4].address = 'tcp://127.0.0.1:0';
        broken.meters[5].channelGroups[0].constants[1].denominator = 0;
        const p2 = problemsOf(await importRegistryFile(ctxOf(store), JSON.stringify(broken)).catch((e) => e));
        assert.deepEqual(
          p2.map((x) => x.column),
          ['meters[2].role', 'meters[4].address', 'meters[5].channelGroups'],
        );
        assert.equal(await countAudit(store.db), audits);
      } finally {
        await store.close();
      }
    });
  });
}
