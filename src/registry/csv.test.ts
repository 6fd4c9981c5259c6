/** Reading registry spreadsheets (no store): formats, delimiters, encodings and the problems reported per cell. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readRegistryCsv } from './csv.ts';

const HEADER =
  'codigo_ponto;nome;tipo;segmento;cliente;subestacao;tensao_kv;carga_kw;tags;serie_medidor;papel;rtp;rtc;' +
  'constantes_incluem_rtp_rtc;canais;valido_desde;endereco;serie_leitor;grupo_concorrencia';
const LINES = [
  'SPABCDEF00001;Fábrica Norte;consumidor livre;livre;ACME S.A.;SE Centro;13,8;1234,5;a,b;12345678;principal;' +
    '120;40;não;0:01/10/11@1/100,1/200,1/200;01/02/2025 14:30;tcp://10.0.0.1:4001;42;modem-1',
  'SPABCDEF00001;Fábrica Norte;consumidor livre;livre;ACME S.A.;SE Centro;13,8;1234,5;a,b;87654321;retaguarda;' +
    '120;40;não;;;tcp://10.0.0.1:4002;;',
  'RJPOINT000002;Usina;geração;geracao;;;;;;;;;;;;;;;',
];

test('a ; file with decimal comma, pt-BR dates and friendly values reads into points, meters and channels', () => {
  const { document, delimiter, encoding } = readRegistryCsv([HEADER, ...LINES].join('\r\n'), 'cadastro.csv');
  assert.equal(delimiter, ';');
  assert.equal(encoding, 'utf-8');
  assert.deepEqual(document.problems, []);
  assert.equal(document.points.length, 3);
  const p = document.points[0];
  assert.equal(p.code, 'SPABCDEF00001');
  assert.deepEqual(p.values, {
    name: 'Fábrica Norte',
    kind: 'consumidor_livre',
    segment: 'livre',
    customer: 'ACME S.A.',
    substation: 'SE Centro',
    voltageKv: 13.8,
    loadCapacityKw: 1234.5,
    tags: ['a', 'b'],
  });
  assert.equal(p.origin.line, 2);
  assert.equal(document.points[2].values.kind, 'geracao');
  assert.equal(document.points[2].values.customer, null, 'an empty optional cell clears the field');
  assert.equal(document.meters.length, 2);
  const [m1, m2] = document.meters;
  assert.equal(m1.serial, '12345678');
  assert.equal(m1.validFrom?.toISOString(), '2025-02-01T17:30:00.000Z');
  assert.equal(m1.values.tpRatio, 120);
  assert.equal(m1.values.constantsIncludeRatios, false);
  assert.equal(m1.values.channelMap?.length, 3);
  assert.deepEqual(m1.channel, {
    address: 'tcp://10.0.0.1:4001',
    kind: 'tcp',
    values: { readerSerial: '000042', concurrencyGroup: 'modem-1' },
    origin: m1.origin,
  });
  assert.equal(m2.validFrom, undefined, 'empty valido_desde: latest version or since always');
  assert.deepEqual(m2.values.channelMap, [], 'an empty list cell empties the list');
  assert.deepEqual(m2.channel?.values, { concurrencyGroup: 'tcp://10.0.0.1:4002' }, 'empty group = the address');
});

test('the same sheet with , delimiter, a BOM, CRLF and decimal point reads the same', () => {
  const semi = readRegistryCsv([HEADER, ...LINES].join('\n')).document;
  const toComma = (line: string) =>
    line
      .split(';')
      .map((c) => (/[,"]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c))
      .join(',');
  const text = `\uFEFF${[HEADER, ...LINES].map(toComma).join('\r\n')}\r\n`.replace('"13,8"', '13.8');
  const r = readRegistryCsv(new TextEncoder().encode(text));
  assert.equal(r.delimiter, ',');
  assert.deepEqual(r.document.problems, []);
  assert.deepEqual(
    r.document.points.map((p) => p.values),
    semi.points.map((p) => p.values),
  );
  assert.deepEqual(
    r.document.meters.map((m) => [m.serial, m.values, m.channel?.values]),
    semi.meters.map((m) => [m.serial, m.values, m.channel?.values]),
  );
});

test('Windows-1252 bytes (Excel "CSV") are read when the file is not UTF-8; headers match without accents or case', () => {
  const text = 'Código Ponto;Nome;Tipo;Segmento;Subestação\nSPABCDEF00001;Pão de Açúcar;fronteira;cativo;SÃO JOSÉ\n';
  const bytes = Uint8Array.from([...text].map((c) => c.charCodeAt(0)));
  const r = readRegistryCsv(bytes);
  assert.equal(r.encoding, 'windows-1252');
  assert.deepEqual(r.document.problems, []);
  assert.equal(r.document.points[0].values.name, 'Pão de Açúcar');
  assert.equal(r.document.points[0].values.substation, 'SÃO JOSÉ');
});

test('every bad cell is reported with its line and column; good lines are still read', () => {
  const text = [
    HEADER,
    LINES[0],
    LINES[1].replace('retaguarda', 'reserva'),
    'rjpoint000002;Usina;geração;geracao;;;-5;;;;;;;;;;;;',
    'SPSHORT;X;fronteira;cativo;;;;;;;;;;;;;;;',
    'SPABCDEF00003;Y;fronteira;cativo;;;;;;1234567A;principal;;;;;;;;',
    'SPABCDEF00004;Z;fronteira;cativo;;;;;;;;;;;0:01@1/1;;tcp://x:1;;',
    'SPABCDEF00005;W;fronteira;cativo;;;;;;555;principal;1.500;;talvez;9:01@1/1;30/02/2025;udp://x:1;;',
  ].join('\n');
  const { document } = readRegistryCsv(text);
  const got = document.problems.map((p) => `${p.line}:${p.column}`);
  assert.deepEqual(got, [
    '3:papel',
    '4:tensao_kv',
    '5:codigo_ponto',
    '6:serie_medidor',
    '7:canais',
    '7:endereco',
    '8:valido_desde',
  ]);
  const reasons = Object.fromEntries(document.problems.map((p) => [`${p.line}:${p.column}`, p.reason]));
  assert.match(reasons['3:papel'], /principal, retaguarda.*'reserva'/);
  assert.match(reasons['4:tensao_kv'], /above 0/);
  assert.match(reasons['5:codigo_ponto'], /13 letters or digits/);
  assert.match(reasons['7:canais'], /serie_medidor is empty/);
  // Line 8: an unreadable validity start drops the meter, so its other cells are not judged.
  assert.equal(document.meters.filter((m) => m.serial === '555').length, 0);
  assert.equal(document.points.length, 6, 'only the line with a bad point code is left out');
  assert.equal(document.points[2].code, 'RJPOINT000002', 'codes are upper-cased');
});

test('other bad cells of a readable meter line are all reported', () => {
  const text = [
    HEADER,
    'SPABCDEF00005;W;fronteira;cativo;;;;;;555;principal;1.500;0;talvez;40:01@1/1;;udp://x:1;1234567;',
  ].join('\n');
  const { document } = readRegistryCsv(text);
  assert.deepEqual(
    document.problems.map((p) => p.column),
    ['rtp', 'rtc', 'constantes_incluem_rtp_rtc', 'canais', 'endereco'],
  );
  assert.match(document.problems[0].reason, /ambiguous/);
  assert.match(document.problems[3].reason, /group 40 is not 0–32/);
  assert.match(document.problems[4].reason, /unknown scheme/);
});

test('header problems: unknown and repeated columns, no codigo_ponto, empty file', () => {
  const unknown = readRegistryCsv('codigo_ponto;nome;tensao;voltagem;tensao_kv\n').document.problems;
  assert.deepEqual(
    unknown.map((p) => [p.line, p.column]),
    [
      [1, 'voltagem'],
      [1, 'tensao_kv'],
    ],
  );
  assert.match(unknown[0].reason, /unknown column/);
  assert.match(unknown[1].reason, /appears twice/);
  assert.match(readRegistryCsv('nome;tipo\nA;fronteira\n').document.problems[0].reason, /no codigo_ponto/);
  assert.match(readRegistryCsv('\uFEFF\r\n').document.problems[0].reason, /empty/);
});

test('a quoted cell spanning lines keeps the line numbers of what follows; blank and empty lines are skipped', () => {
  const text = [
    'codigo_ponto;nome;tipo;segmento',
    'SPABCDEF00001;"two',
    'lines";fronteira;cativo',
    '',
    ';;;',
    'SPABCDEF00002;B;nope;cativo',
  ].join('\n');
  const { document } = readRegistryCsv(text);
  assert.equal(document.points[0].values.name, 'two\nlines');
  assert.equal(document.points[0].origin.line, 2);
  assert.deepEqual(
    document.problems.map((p) => [p.line, p.column]),
    [[6, 'tipo']],
  );
});

test('a value under a header without a name is reported; an empty unnamed column is not', () => {
  const { document } = readRegistryCsv('codigo_ponto;nome;;\nSPABCDEF00001;A;;\nSPABCDEF00002;B;x;\n');
  assert.deepEqual(document.problems, [{ line: 3, column: '#3', reason: 'a value in a column without a header name' }]);
  assert.equal(document.points.length, 2);
});

test('an unreadable CSV (unclosed quote) is one problem, not an exception', () => {
  const { document } = readRegistryCsv('codigo_ponto;nome\nSPABCDEF00001;"open\n');
  assert.equal(document.problems.length, 1);
  assert.match(document.problems[0].reason, /unreadable CSV/);
});
