/**
 * The web UI end to end in headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH; never a downloaded
 * browser): the API over HTTP on PGlite with a collection engine and a simulated point (principal + retaguarda)
 * read once and validated; an analyst logs in, opens the Painel and a point, zooms the chart, edits intervals with
 * a comment and sees the edit, runs "Ler agora" on the simulated meter and sees the new session. Screenshots go to
 * test-artifacts/ui/. Without Chromium the test fails (CI installs it) rather than skipping.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { buildApp } from '../src/api/app.ts';
import { createUser } from '../src/api/auth/accounts.ts';
import { webBuilt } from '../src/api/web.ts';
import { type Engine, startEngine } from '../src/collect/engine.ts';
import { addDays, operatingDayOfIntervalEnd } from '../src/domain/time.ts';
import type { RunningFleet } from '../src/simulator/fleet.ts';
import type { Store } from '../src/store/pool.ts';
import { runVeeRange } from '../src/vee/service.ts';
import { quiet, registerFleet, startTestFleet } from './helpers/collect.ts';
import { openPgliteStore } from './helpers/stores.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = 'test-artifacts/ui';
const USER = 'ana.e2e';
const PASSWORD = randomBytes(12).toString('base64url');

let store: Store;
let fleet: RunningFleet;
let engine: Engine;
let app: Awaited<ReturnType<typeof buildApp>>;
let browser: Browser;
let page: Page;
let base: string;
let pointCode: string;
const today = operatingDayOfIntervalEnd(Date.now());
const yesterday = addDays(today, -1);

/** A locator's text ('' when it has none). */
const text = async (l: Locator) => (await l.textContent()) ?? '';
const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`,
  );
  if (!webBuilt()) {
    const build = spawnSync('npm', ['run', 'build:web'], { stdio: 'inherit' });
    assert.equal(build.status, 0, 'npm run build:web failed');
  }
  mkdirSync(SHOTS, { recursive: true });

  store = await openPgliteStore();
  fleet = await startTestFleet({ meters: 2 });
  const meters = await registerFleet(store, fleet, { memoryDays: 2 });
  pointCode = fleet.registry.meters[0].pointCode;
  assert.equal(meters.length, 2);
  engine = await startEngine(store, { queue: false, logger: quiet });
  const round = await engine.runOnce('daily');
  assert.ok(round.ok > 0, `the daily round read nothing: ${JSON.stringify(round)}`);
  await runVeeRange(store, { from: addDays(today, -2), to: yesterday });
  await createUser({ db: store.db, actor: 'test' }, { username: USER, role: 'analista', password: PASSWORD });

  app = await buildApp({ store, engine, cookieSecure: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  base = `http://127.0.0.1:${address.port}`;

  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: root ? ['--no-sandbox'] : [] });
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'pt-BR' });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close();
  await app?.close();
  await engine?.stop();
  await fleet?.close();
  await store?.close();
});

test('the UI is served at / without a session; unknown paths stay JSON 404s', async () => {
  const res = await fetch(`${base}/`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /<div id="app">/);
  const api = await fetch(`${base}/api/v1/points`);
  assert.equal(api.status, 401);
  const missing = await fetch(`${base}/nao-existe.js`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'FRONTEIRA_E_NOT_FOUND');
});

test('log in with a wrong password shows the error, then with the right one opens the Painel', async () => {
  await page.goto(`${base}/`);
  await page.locator('input[name=username]').fill(USER);
  await page.locator('input[name=password]').fill('senha-errada-123');
  await page.locator('button[type=submit]').click();
  await page.locator('.state.error').waitFor();
  assert.match(await text(page.locator('.state.error')), /credenciais inválidas/);
  await shot('01-login-erro');

  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.getByRole('heading', { name: 'Painel' }).waitFor();
  await page.locator(`table a[href="#/ponto/${pointCode}"]`).first().waitFor();
  const painel = await text(page.locator('main'));
  assert.match(painel, /Completude da memória de massa/);
  assert.match(painel, /Ontem \(\d{2}\/\d{2}\/\d{4}\)/, 'dates as dd/mm/aaaa');
  await shot('02-painel');
});

test('open a point: the load profile draws and zooms by dragging', async () => {
  await page.locator(`table a[href="#/ponto/${pointCode}"]`).first().click();
  await page.getByRole('heading', { name: new RegExp(pointCode) }).waitFor();
  const chart = page.locator('.chart .u-over').first();
  await chart.waitFor();
  const ms = await page.evaluate('window.__fronteiraChartMs');
  assert.equal(typeof ms, 'number', 'the chart reports its draw time');
  const zoomButton = page.getByRole('button', { name: 'Usar seleção do gráfico' });
  assert.equal(await zoomButton.isDisabled(), true, 'no zoom yet');
  await shot('03-ponto');

  const box = await chart.boundingBox();
  assert.ok(box);
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.55, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, y, { steps: 8 });
  await page.mouse.move(box.x + box.width * 0.8, y, { steps: 8 });
  await page.mouse.up();
  // A zoom gives the edit form a range to take: its button comes alive.
  await page.waitForFunction("!document.querySelector('#edit-form button[type=button]').disabled");
  await shot('04-zoom');
});

test('edit intervals with a comment and see the edit and the new final version', async () => {
  const form = page.locator('#edit-form');
  await form.locator('input[name=day]').fill(yesterday);
  await form.locator('input[name=first]').fill('10:05');
  await form.locator('input[name=last]').fill('10:15');
  await form.locator('select[name=kind]').selectOption('replace');
  await form.locator('input[name=value]').fill('123,5');
  // The comment is mandatory: without it nothing is sent.
  await form.locator('button[type=submit]').click();
  assert.equal(await page.locator('table.edits tbody tr').count(), 0);
  await form.locator('textarea[name=comment]').fill('Ajuste e2e: leitura confirmada com o cliente');
  await form.locator('button[type=submit]').click();
  await form.locator('.notice.ok').waitFor();
  assert.match(await text(form.locator('.notice.ok')), /Edição \d+ aplicada; série final na versão \d+/);
  const row = page.locator('table.edits tbody tr', { hasText: 'Ajuste e2e' });
  await row.waitFor();
  const cells = await text(row);
  assert.match(cells, /123,5/, 'the value with a decimal comma');
  assert.match(cells, /Substituir por valor/);
  assert.match(cells, /user:ana\.e2e/);

  const stored = await store.db.selectFrom('vee_manual_edit').select(['comment', 'first_slot', 'last_slot']).execute();
  assert.equal(stored.length, 1);
  assert.equal(stored[0].first_slot, 120, '10:05 ends the 121st slot');
  assert.equal(stored[0].last_slot, 122);
  await shot('05-edicao');
});

test('"Ler agora" reads the simulated meter and the new session appears in the list', async () => {
  const sessions = page.locator('table.sessions tbody tr.clickable');
  await sessions.first().waitFor();
  const manualBefore = await page.locator('table.sessions tbody tr.clickable', { hasText: 'Manual' }).count();
  assert.equal(manualBefore, 0);
  await page
    .getByRole('button', { name: /^Ler agora/ })
    .first()
    .click();
  await page.locator('.toolbar .notice', { hasText: /Tarefa \d+: / }).waitFor({ timeout: 120_000 });
  assert.match(await text(page.locator('.toolbar .notice')), /Tarefa \d+: OK\./);
  const manual = page.locator('table.sessions tbody tr.clickable', { hasText: 'Manual' });
  await manual.first().waitFor();
  assert.equal(await manual.count(), 1);
  assert.match(await text(manual.first()), /OK/);

  await manual.first().getByRole('button').click();
  await page.locator('.session-detail .frames tbody tr').first().waitFor();
  assert.ok((await page.locator('.session-detail .frames tbody tr').count()) > 1, 'decoded frames shown');
  await shot('06-ler-agora');
});

test('Leituras lists the sessions with filters', async () => {
  await page.goto(`${base}/#/leituras?purpose=manual`);
  await page.getByRole('heading', { name: 'Leituras' }).first().waitFor();
  const rows = page.locator('table.sessions tbody tr.clickable');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  await page.setViewportSize({ width: 820, height: 1180 });
  await shot('07-leituras-tablet');
});

test('Pontos filters by text and segment; Cadastro exports and dry-runs an import; no Usuários for analistas', async () => {
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(`${base}/#/pontos`);
  const rows = page.locator('table.points tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  assert.match(await text(rows.first()), /100%/, "yesterday's completeness at a glance");
  await page.locator('input[type=search]').fill('nao-existe');
  await page.getByRole('button', { name: 'Aplicar' }).click();
  await page.locator('.state.empty', { hasText: 'Nenhum ponto com estes filtros.' }).waitFor();
  await page.goto(`${base}/#/pontos?segment=livre&q=${pointCode.slice(0, 6)}`);
  await page.locator(`table.points a[href="#/ponto/${pointCode}"]`).waitFor();
  assert.equal(await page.locator('nav a', { hasText: 'Usuários' }).count(), 0);

  await page.goto(`${base}/#/cadastro`);
  const csv = await page.evaluate<string>("fetch('/api/v1/registry.csv').then((r) => r.text())");
  assert.match(csv, new RegExp(pointCode));
  await page.locator('input[type=file]').setInputFiles({
    name: 'cadastro.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv, 'utf8'),
  });
  await page.getByRole('button', { name: 'Validar (simulação)' }).click();
  await page.locator('.report .notice', { hasText: 'Arquivo válido.' }).waitFor();
  await shot('08-cadastro');
});
