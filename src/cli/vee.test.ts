/**
 * `fronteira vee …` run in-process against one throwaway PGlite store: a point whose principal misses an hour and
 * whose retaguarda has it. The tests run in order and build on each other (run → show → edit/reverse → lock →
 * parameter change → dirty run), the way an analyst would use the commands.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cliRunner } from '../../test/helpers/cli.ts';
import { testBlock } from '../../test/helpers/day-blocks.ts';
import { openPgliteStore } from '../../test/helpers/stores.ts';
import { withTransaction } from '../store/bulk.ts';
import { writeDayBlocks } from '../store/day-blocks.ts';
import type { Store } from '../store/pool.ts';
import { insertMeter, insertPoint } from '../store/registry.ts';
import type { ChannelMapEntry } from '../store/schema.ts';
import { main } from './main.ts';
import { registerVee } from './vee.ts';
import { parseNumberList, parseSlotRange, slotsOfEndTimes } from './vee-args.ts';

const CODE = 'SPVEECLI00001';
const D = '2024-05-15'; // a Wednesday
const D2 = '2024-05-16';
const HOLE = { first: 120, last: 131 }; // 10:00–11:00 missing on the principal on D
const MAP: ChannelMapEntry[] = [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 1 }];

const dir = mkdtempSync(join(tmpdir(), 'fronteira-vee-cli-'));
let store: Store;

const principalValue = (k: number) => 1 + (k % 12) * 0.1;
const retaguardaValue = (k: number) => principalValue(k) * 0.998;

const block = (meterId: number, day: string, fill: (k: number) => number | null) => testBlock(meterId, 1, day, fill);

before(async () => {
  store = await openPgliteStore();
  const p = await insertPoint(store.db, {
    code: CODE,
    name: 'Ponto VEE',
    kind: 'consumidor_livre',
    segment: 'livre',
    loadCapacityKw: 500,
    tags: ['clientes'],
  });
  const since = new Date('2020-01-01T00:00:00Z');
  const m1 = await insertMeter(store.db, p.id, {
    serial: '11111111',
    role: 'principal',
    channelMap: MAP,
    validFrom: since,
  });
  const m2 = await insertMeter(store.db, p.id, {
    serial: '22222222',
    role: 'retaguarda',
    channelMap: MAP,
    validFrom: since,
  });
  await withTransaction(store, (tx) =>
    writeDayBlocks(tx, [
      block(m1.id, D, (k) => (k >= HOLE.first && k <= HOLE.last ? null : principalValue(k))),
      block(m1.id, D2, principalValue),
      block(m2.id, D, retaguardaValue),
      block(m2.id, D2, retaguardaValue),
    ]),
  );
});

after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One `fronteira vee …` command on the shared store, as main() would run it (exit 2 for a FronteiraError). */
const cli = cliRunner('vee', registerVee, () => store);
const vee = cli.run;
const ok = cli.ok;

async function json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  return JSON.parse(await ok(...args, '--json')) as T;
}

interface SlotRowJson {
  slot: number;
  end: string;
  value: number | null;
  quality: string;
  method: string;
  reason: string;
  source: string;
}
interface ShowJson {
  series: {
    quantityCode: number;
    version: number;
    locked: boolean;
    counts: Record<string, number>;
    methods: Record<string, number>;
    energy: number;
    notes: { worstCase?: { slots: number; energy: number } };
    principalSerial: string | null;
    retaguardaSerial: string | null;
    slotRows?: SlotRowJson[];
  }[];
  validation: { findings: { rule: string; severity: string }[]; outcomeSummary: { failed: string[] } } | null;
}

let slotsBeforeEdit: SlotRowJson[] = [];

test('vee run computes the days: the principal hole is substituted from the retaguarda (S/RT)', async () => {
  const r = await json<{
    pointDays: number;
    series: number;
    changed: number;
    qualities: Record<string, number>;
    staleLocked: unknown[];
  }>('run', '--from', D, '--to', '16/05/2024', '--point', CODE.toLowerCase());
  assert.equal(r.pointDays, 2);
  assert.equal(r.series, 2);
  assert.equal(r.changed, 2);
  assert.deepEqual(r.qualities, { N: 0, A: 576 - 12, S: 12, E: 0, M: 0 });
  assert.deepEqual(r.staleLocked, []);

  const text = await ok('run', '--from', D, '--to', D2, '--tag', 'clientes');
  assert.match(
    text,
    /VEE 2024-05-15 … 2024-05-16 for SPVEECLI00001: 2 point-day\(s\), 2 series — 0 changed \(new version\), 2 unchanged/,
  );
  assert.match(text, /A 564 \(97,9%\) {2}S 12 \(2,1%\) {2}E 0 \(0,0%\)/);
  assert.match(text, /Stale locked versions: none\./);
});

test('vee show reflects the substitution, with slots, notes and the findings of the validation', async () => {
  const s = await json<ShowJson>('show', CODE, '--day', D, '--quantity', 'C', '--slots');
  assert.equal(s.series.length, 1);
  const c = s.series[0];
  assert.equal(c.quantityCode, 1);
  assert.equal(c.version, 1);
  assert.deepEqual(c.counts, { N: 0, A: 276, S: 12, E: 0, M: 0 });
  assert.deepEqual(c.methods, { none: 276, RT: 12 });
  assert.equal(c.principalSerial, '11111111');
  assert.equal(c.retaguardaSerial, '22222222');
  const rows = c.slotRows!;
  assert.equal(rows.length, 288);
  assert.deepEqual(rows[HOLE.first], {
    slot: HOLE.first,
    end: '10:05',
    value: retaguardaValue(HOLE.first),
    quality: 'S',
    method: 'RT',
    reason: 'missing',
    source: 'retaguarda',
  });
  assert.deepEqual(rows[0], {
    slot: 0,
    end: '00:05',
    value: 1,
    quality: 'A',
    method: 'none',
    reason: 'none',
    source: 'principal',
  });
  assert.equal(rows[287].end, '24:00');
  assert.ok(s.validation);
  assert.ok(s.validation.findings.some((f) => f.rule === 'V02' && f.severity === 'error'));
  assert.ok(s.validation.outcomeSummary.failed.includes('V02'));
  slotsBeforeEdit = rows;

  const text = await ok('show', CODE, '--day', D);
  assert.match(text, /Point SPVEECLI00001 — 2024-05-15 \(weekday\)/);
  assert.match(text, /C \(1\) kWh fornecido \(direto\) — version 1, not locked; 288 slots of 5 min/);
  assert.match(text, /Methods {4}RT 12/);
  assert.match(text, /Meters {5}principal 11111111, retaguarda 22222222/);
  assert.match(text, /V02 +error +11111111 +C +120–131 10:00–11:00/);
  const slots = await ok('show', CODE, '--day', D, '--slots');
  assert.match(slots, /\n +120 +10:05 +0,998000 +S +RT +missing +retaguarda\n/);
});

test('vee compare prints the daily totals and writes the CSV and XLSX reports', async () => {
  const csv = join(dir, 'cmp.csv');
  const xlsx = join(dir, 'cmp.xlsx');
  const text = await ok('compare', CODE, '--from', D, '--to', D2, '--csv', csv, '--level', 'day', '--xlsx', xlsx);
  assert.match(
    text,
    /2024-05-15 +C +kWh +\d+,\d{3} +\d+,\d{3} +\d+,\d{3} +\+0,200% +no +0 +0 +276 +12\/0 +principal 276, retaguarda 12/,
  );
  assert.match(text, /Period totals:/);
  const lines = readFileSync(csv, 'utf8')
    .replace(/^\uFEFF/, '')
    .split('\r\n');
  assert.match(lines[0], /^Ponto;Data;Canal;Principal \(kWh\);Retaguarda \(kWh\);Diferença \(kWh\);Diferença \(%\)/);
  let p = 0;
  let r = 0;
  for (let k = 0; k < 288; k++) {
    if (k >= HOLE.first && k <= HOLE.last) continue;
    p += principalValue(k);
    r += retaguardaValue(k);
  }
  const br = (x: number, d: number) => String(Number(x.toFixed(d))).replace('.', ',');
  assert.equal(
    lines[1],
    `${CODE};15/05/2024;C;${br(p, 6)};${br(r, 6)};${br(p - r, 6)};${br((100 * (p - r)) / p, 4)};não;276;12;0;0;0;principal 276, retaguarda 12`,
  );
  assert.ok(lines[2].startsWith(`${CODE};16/05/2024;C;`));
  assert.equal(readFileSync(xlsx).subarray(0, 2).toString(), 'PK');

  const j = await json<{ days: { day: string; quantities: { compared: number; pct: number }[] }[] }>(
    'compare',
    CODE,
    '--from',
    D,
    '--to',
    D,
  );
  assert.equal(j.days.length, 1);
  assert.equal(j.days[0].quantities[0].compared, 276);
  assert.ok(Math.abs(j.days[0].quantities[0].pct - 0.2) < 1e-9);
});

test('vee edit then vee reverse: the series returns to what it was, and the audit log has every step', async () => {
  const e = await json<{
    edit: { id: number; firstSlot: number; lastSlot: number; createdBy: string };
    version: number;
    slots: { slot: number; end: string; before: { quality: string }; after: Record<string, unknown> }[];
  }>(
    'edit',
    CODE,
    '--day',
    D,
    '--quantity',
    '1',
    '--from-time',
    '00:55',
    '--to-time',
    '01:05',
    '--kind',
    'replace',
    '--values',
    '1,5;2;3',
    '--comment',
    'leitura conferida em campo',
  );
  assert.equal(e.edit.firstSlot, 10);
  assert.equal(e.edit.lastSlot, 12);
  assert.match(e.edit.createdBy, /^cli:/);
  assert.equal(e.version, 2);
  assert.deepEqual(
    e.slots.map((s) => [s.slot, s.end, s.before.quality, s.after]),
    [
      [10, '00:55', 'A', { value: 1.5, quality: 'M', method: 'ME' }],
      [11, '01:00', 'A', { value: 2, quality: 'M', method: 'ME' }],
      [12, '01:05', 'A', { value: 3, quality: 'M', method: 'ME' }],
    ],
  );
  const edited = await json<ShowJson>('show', CODE, '--day', D, '--slots');
  assert.deepEqual(edited.series[0].counts, { N: 0, A: 273, S: 12, E: 0, M: 3 });

  const listed = await ok('edits', CODE, '--from', D, '--to', D);
  assert.match(
    listed,
    new RegExp(
      `${e.edit.id} +2024-05-15 +C +10–12 +replace +1,500; 2,000; 3,000 +cli:\\S+ .* active +leitura conferida em campo`,
    ),
  );

  const rev = await ok('reverse', String(e.edit.id), '--comment', 'valor errado');
  assert.match(
    rev,
    new RegExp(
      `Manual edit ${e.edit.id} \\(replace\\) on ${CODE} C 2024-05-15 reversed by cli:\\S+: series now at version 3`,
    ),
  );
  assert.match(rev, /10 +00:55 +1,500000 M\/ME +2,000000 A\n/);
  const back = await json<ShowJson>('show', CODE, '--day', D, '--slots');
  assert.deepEqual(back.series[0].slotRows, slotsBeforeEdit);
  assert.equal(back.series[0].version, 3);

  assert.equal((await ok('edits', CODE)).trim(), 'No manual edits.');
  assert.match(await ok('edits', CODE, '--all'), /reversed by cli:\S+ .*: valor errado/);

  const h = await json<{ versions: { version: number; cause: string; current: boolean }[] }>(
    'history',
    CODE,
    '--day',
    D,
    '--quantity',
    'C',
  );
  assert.deepEqual(
    h.versions.map((v) => [v.version, v.cause, v.current]),
    [
      [1, 'vee', false],
      [2, `edit:${e.edit.id}`, false],
      [3, `reversal:${e.edit.id}`, true],
    ],
  );
  const audit = await store.db
    .selectFrom('audit_log')
    .select(['actor', 'action', 'entity', 'comment'])
    .where('entity', 'in', ['vee_manual_edit', 'vee_final'])
    .orderBy('id')
    .execute();
  assert.deepEqual(
    audit.map((a) => [a.entity, a.action, a.comment]),
    [
      ['vee_manual_edit', 'create', 'leitura conferida em campo'],
      ['vee_final', 'apply', 'leitura conferida em campo'],
      ['vee_manual_edit', 'reverse', 'valor errado'],
      ['vee_final', 'reverse', 'valor errado'],
    ],
  );
  assert.ok(audit.every((a) => a.actor.startsWith('cli:')));

  const again = await vee('reverse', String(e.edit.id), '--comment', 'de novo');
  assert.equal(again.code, 2);
  assert.equal(again.error?.code, 'FRONTEIRA_E_CONFLICT');
});

test('vee lock, then a parameter version marks the days dirty; the dirty run reports the stale locked version', async () => {
  const locked = await ok('lock', CODE, '--day', D, '--by', 'fechamento 05/2024');
  assert.match(locked, /1 version\(s\) locked by 'fechamento 05\/2024'; 0 already locked/);
  assert.match(await ok('lock', CODE, '--day', D, '--by', 'outro'), /0 version\(s\) locked .* 1 already locked/);

  const added = await ok(
    'params',
    'add',
    '--scope',
    `point:${CODE.toLowerCase()}`,
    '--from',
    D,
    '--json',
    '{"estimation":{"order":["LI","RT","LD","ZO"]}}',
    '--comment',
    'interpolar antes da retaguarda',
  );
  assert.match(
    added,
    new RegExp(
      `Parameter version \\d+ \\(point:${CODE} from 2024-05-15\\) added by cli:\\S+; 2 point-day\\(s\\) marked dirty`,
    ),
  );

  const run = await json<{
    pointDays: number;
    changed: number;
    staleLocked: { pointCode: string; day: string; lockedVersion: number; version: number }[];
    dirtyRemaining: { count: number };
  }>('run', '--dirty');
  assert.equal(run.pointDays, 2);
  assert.equal(run.changed, 1);
  assert.deepEqual(run.staleLocked, [{ pointCode: CODE, quantityCode: 1, day: D, lockedVersion: 3, version: 4 }]);
  assert.equal(run.dirtyRemaining.count, 0);

  const s = await json<ShowJson>('show', CODE, '--day', D, '--quantity', 'c');
  assert.deepEqual(s.series[0].methods, { none: 276, LI: 12 });
  assert.deepEqual(s.series[0].counts, { N: 0, A: 276, S: 0, E: 12, M: 0 });
  assert.equal(s.series[0].notes.worstCase?.slots, 12);

  const hist = await ok('history', CODE, '--day', D, '--quantity', 'C');
  assert.match(hist, /\n +3 +\S+ \S+ +reversal:\d+ +\S+ \S+ +fechamento 05\/2024 /);
  assert.match(hist, /\n +4\* +\S+ \S+ +vee +current /);

  const shown = await json<{ differences: { setting: string; value: unknown; default: unknown }[] }>(
    'params',
    'show',
    CODE,
    '--day',
    D,
  );
  assert.deepEqual(shown.differences, [
    { setting: 'estimation.order', value: ['LI', 'RT', 'LD', 'ZO'], default: ['RR', 'RT', 'LI', 'LD', 'ZO'] },
  ]);
  const before = await json<{ differences: unknown[] }>('params', 'show', CODE, '--day', '2024-05-14');
  assert.deepEqual(before.differences, []);
  const list = await ok('params', 'list');
  assert.match(list, new RegExp(`point:${CODE} +2024-05-15 .*interpolar antes da retaguarda +\\{"estimation"`));

  const bad = await vee('params', 'add', '--scope', 'global', '--from', D, '--json', '{"rules":{"V04":{"warnS":-1}}}');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /FRONTEIRA_E_VALIDATION\]: --json: rules\.V04\.warnS: -1 must be ≥ 0/);
  const file = join(dir, 'params.json');
  writeFileSync(file, '{"compare": {"intervalPct": 5}');
  assert.match(
    (await vee('params', 'add', '--scope', 'global', '--from', D, '--file', file)).err,
    /--file: not valid JSON/,
  );
});

test('vee holidays lists the calendar in force; add and remove edit it and mark days dirty', async () => {
  const list = await json<{ holidays: { date: string; name: string; origin: string }[] }>('holidays', '--year', '2024');
  assert.ok(list.holidays.some((h) => h.date === '2024-11-20' && h.origin === 'national'));
  assert.ok(list.holidays.some((h) => h.date === '2024-05-30' && h.origin === 'optional')); // Corpus Christi

  const added = await ok('holidays', 'add', '15/05/2024', '--name', 'Aniversário da cidade', '--comment', 'decreto');
  assert.match(added, /Holiday 2024-05-15 'Aniversário da cidade' added; 2 point-day\(s\) marked dirty/);
  const text = await ok('holidays', 'list', '--year', '2024');
  assert.match(text, /2024-05-15 +Wed +Aniversário da cidade +added/);
  assert.match((await ok('show', CODE, '--day', D)).split('\n')[0], /\(Sunday or holiday: Aniversário da cidade\)/);

  assert.match(await ok('holidays', 'remove', '2024-05-15'), /Holiday 2024-05-15 removed/);
  const missing = await vee('holidays', 'remove', '2024-05-15');
  assert.equal(missing.error?.code, 'FRONTEIRA_E_NOT_FOUND');
  assert.match(await ok('holidays', 'kinds', 'national'), /Holiday kinds set to national/);
  const nat = await json<{ holidays: { date: string }[] }>('holidays', '--year', '2024');
  assert.ok(!nat.holidays.some((h) => h.date === '2024-05-30'));
  await ok('run', '--dirty');
});

test('bad arguments are refused naming the flag; unknown points and series are not found', async () => {
  const cases: [string[], RegExp][] = [
    [['run', '--from', '2024-02-30', '--to', D], /CLI_ARGUMENT\]: --from: '2024-02-30' is not a day/],
    [['run', '--from', D2, '--to', D], /--to: 2024-05-15 is before --from 2024-05-16/],
    [['run'], /--from and --to are required \(or --dirty/],
    [['run', '--dirty', '--from', D], /--from does not go with --dirty/],
    [['show', CODE], /--day is required/],
    [['show', CODE, '--day', D, '--quantity', 'X'], /--quantity: 'X' is not a quantity/],
    [
      ['edit', CODE, '--day', D, '--quantity', 'C', '--slots', '10-12', '--kind', 'replace', '--value', '1'],
      /--comment is required/,
    ],
    [
      ['edit', CODE, '--day', D, '--quantity', 'C', '--slots', '12-10', '--kind', 'accept', '--comment', 'x'],
      /--slots: slot 10 is before slot 12/,
    ],
    [
      ['edit', CODE, '--day', D, '--quantity', 'C', '--slots', '1', '--kind', 'move', '--comment', 'x'],
      /--kind: 'move' is not one of/,
    ],
    [
      ['edit', CODE, '--day', D, '--quantity', 'C', '--slots', '1', '--kind', 'replace', '--comment', 'x'],
      /--value or --values is required/,
    ],
    [
      [
        'edit',
        CODE,
        '--day',
        D,
        '--quantity',
        'C',
        '--slots',
        '1',
        '--kind',
        'interpolate',
        '--value',
        '2',
        '--comment',
        'x',
      ],
      /--value: only --kind replace takes values/,
    ],
    [
      [
        'edit',
        CODE,
        '--day',
        D,
        '--quantity',
        'C',
        '--from-time',
        '00:52',
        '--to-time',
        '01:00',
        '--kind',
        'accept',
        '--comment',
        'x',
      ],
      /--from-time: no interval of the day ends at 00:52/,
    ],
    [
      [
        'edit',
        CODE,
        '--day',
        D,
        '--quantity',
        'C',
        '--slots',
        '286-290',
        '--kind',
        'replace',
        '--value',
        '1',
        '--comment',
        'x',
      ],
      /VALIDATION\]: --slots: slot 290 is outside the day \(0…287\)/,
    ],
    [
      [
        'edit',
        CODE,
        '--day',
        D,
        '--quantity',
        'C',
        '--slots',
        '1-2',
        '--kind',
        'replace',
        '--values',
        '1;2;3',
        '--comment',
        'x',
      ],
      /VALIDATION\]: --values: 3 values for 2 slots/,
    ],
    [['reverse', 'abc', '--comment', 'x'], /<edit-id>: 'abc' is not an id/],
    [
      ['compare', CODE, '--from', D, '--to', D, '--level', 'week', '--csv', 'x.csv'],
      /--level: 'week' is not interval, hour or day/,
    ],
    [['compare', CODE, '--from', D, '--to', D, '--csv', join(dir, 'no', 'such', 'dir.csv')], /--csv: cannot write/],
    [
      ['params', 'add', '--scope', 'everywhere', '--from', D, '--json', '{}'],
      /--scope: 'everywhere' is not global, group:TAG or point:CODE/,
    ],
    [['params', 'add', '--scope', 'global', '--from', D], /--json or --file is required/],
    [['lock', CODE, '--day', D], /--by is required/],
    [['holidays', '--year', '24'], /--year: '24' is not a year/],
    [['show', 'NOSUCHPOINT00', '--day', D], /NOT_FOUND\]: point NOSUCHPOINT00 does not exist/],
    [['show', CODE, '--day', '2024-06-01'], /NOT_FOUND\]: point SPVEECLI00001 has no final series on 2024-06-01/],
    [['history', CODE, '--day', D, '--quantity', 'G'], /has no final series of quantity G \(14\) on 2024-05-15/],
    [
      ['run', '--from', D, '--to', D, '--tag', 'nenhuma'],
      /NOT_FOUND\]: --tag: no point in service has the tag 'nenhuma'/,
    ],
    [['params', 'add', '--scope', 'point:XX', '--from', D, '--json', '{}'], /NOT_FOUND\]: point XX does not exist/],
  ];
  for (const [args, re] of cases) {
    const r = await vee(...args);
    assert.equal(r.code, 2, `vee ${args.join(' ')} exited ${r.code}: ${r.out}${r.err}`);
    assert.match(r.err, re, `vee ${args.join(' ')}`);
  }
});

test('argument helpers: slot ranges, number lists, end times', () => {
  assert.deepEqual(parseSlotRange('--slots', '10-12'), { firstSlot: 10, lastSlot: 12 });
  assert.deepEqual(parseSlotRange('--slots', ' 7 '), { firstSlot: 7, lastSlot: 7 });
  assert.throws(() => parseSlotRange('--slots', '10 12'), /--slots: '10 12' is not a slot/);
  assert.deepEqual(parseNumberList('--values', '1.5,2,3'), [1.5, 2, 3]);
  assert.deepEqual(parseNumberList('--values', '1,5;2'), [1.5, 2]);
  assert.throws(() => parseNumberList('--values', '1,,2'), /value 2 is empty/);
  // A day whose clock went back: 01:05 ends twice; --to-time takes the first at or after --from-time.
  const ends = ['00:55', '01:00', '01:05', '00:10', '01:05', '01:10'];
  assert.deepEqual(slotsOfEndTimes(ends, '01:00', '01:05'), { firstSlot: 1, lastSlot: 2 });
  assert.deepEqual(slotsOfEndTimes(ends, '00:10', '01:05'), { firstSlot: 3, lastSlot: 4 });
});

test('main() knows `vee`: an argument error exits 2 with the typed error, before any store is opened', async () => {
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = ((s: string | Uint8Array) => {
    err += String(s);
    return true;
  }) as typeof process.stderr.write;
  try {
    const bad = await main(['node', 'fronteira', 'vee', 'run', '--from', '2024-05-32', '--to', D]);
    assert.equal(bad, 2);
    assert.match(err, /error \[FRONTEIRA_E_CLI_ARGUMENT\]: --from: '2024-05-32' is not a day/);
    err = '';
    const dataDir = join(dir, 'never-opened');
    assert.equal(await main(['node', 'fronteira', 'vee', 'show', CODE, '--data-dir', dataDir]), 2);
    assert.match(err, /error \[FRONTEIRA_E_CLI_ARGUMENT\]: --day is required/);
    assert.equal(existsSync(dataDir), false);
  } finally {
    process.stderr.write = write;
  }
});
