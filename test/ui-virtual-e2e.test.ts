/**
 * Virtual meters and summaries in headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH; as in
 * ui-e2e.test.ts): an analyst opens Medidores virtuais, types a formula with a mistake and sees the span marked,
 * corrects it and sees the live preview chart, creates the meter and finds its inputs on its page, then opens
 * Resumos. Two points with final series written directly over the default preview days. Screenshots go to
 * test-artifacts/ui/.
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
import { addDays, operatingDayOfIntervalEnd } from '../src/domain/time.ts';
import { addMeter, createPoint } from '../src/registry/service.ts';
import { withTransaction } from '../src/store/bulk.ts';
import type { Store } from '../src/store/pool.ts';
import { saveFinals } from '../src/store/vee-final.ts';
import { emptyFinalDay, type FinalDay, Quality } from '../src/vee/types.ts';
import { openPgliteStore } from './helpers/stores.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = 'test-artifacts/ui';
const USER = 'vera.e2e';
const PASSWORD = randomBytes(12).toString('base64url');
const A = 'SPUIVIRTA0001';
const B = 'SPUIVIRTB0001';

let store: Store;
let app: Awaited<ReturnType<typeof buildApp>>;
let browser: Browser;
let page: Page;
let base: string;

const text = async (l: Locator) => (await l.textContent()) ?? '';
const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH`);
  if (!webBuilt()) {
    const build = spawnSync('npm', ['run', 'build:web'], { stdio: 'inherit' });
    assert.equal(build.status, 0, 'npm run build:web failed');
  }
  mkdirSync(SHOTS, { recursive: true });

  store = await openPgliteStore();
  const ctx = { db: store.db, actor: 'test' };
  const a = await createPoint(ctx, { code: A, name: 'Entrada', kind: 'fronteira', segment: 'livre', tags: ['ui'] });
  const b = await createPoint(ctx, { code: B, name: 'Usina', kind: 'geracao', segment: 'geracao', tags: ['ui'] });
  const map = (quantityCode: number) => [{ group: 0, channel: 1, quantityCode, numerator: 1, denominator: 1 }];
  await addMeter(ctx, { serial: '50000001', pointCode: A, role: 'principal', channelMap: map(1) });
  await addMeter(ctx, { serial: '50000002', pointCode: B, role: 'principal', channelMap: map(14) });
  const yesterday = addDays(operatingDayOfIntervalEnd(Date.now()), -1);
  const finals: FinalDay[] = [];
  for (const day of [addDays(yesterday, -1), yesterday]) {
    const fa = emptyFinalDay({ pointId: Number(a.id), pointCode: A, quantityCode: 1, day, slots: 288, intervalS: 300 });
    for (let k = 0; k < 288; k++) fa.value[k] = 1 + Math.sin(k / 30);
    fa.quality.fill(Quality.A);
    fa.reason.fill(0);
    for (let k = 100; k < 110; k++) fa.quality[k] = Quality.E;
    const fb = emptyFinalDay({
      pointId: Number(b.id),
      pointCode: B,
      quantityCode: 14,
      day,
      slots: 288,
      intervalS: 300,
    });
    fb.value.fill(0.25);
    fb.quality.fill(Quality.A);
    fb.reason.fill(0);
    finals.push(fa, fb);
  }
  await withTransaction(store, (tx) => saveFinals(tx, finals, { cause: 'vee' }));
  await createUser(ctx, { username: USER, role: 'analista', password: PASSWORD });

  app = await buildApp({ store, cookieSecure: false, logger: false });
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
  await store?.close();
});

test('create a virtual meter: the formula error is marked, the live preview draws, the meter is saved', async () => {
  await page.goto(`${base}/`);
  await page.locator('input[name=username]').fill(USER);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.getByRole('heading', { name: 'Painel' }).waitFor();

  await page.locator('nav a[href="#/virtuais"]').click();
  await page.getByRole('heading', { name: 'Medidores virtuais', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Novo medidor virtual' }).click();
  const form = page.locator('form.virtual-form');
  await form.locator('input[name=name]').fill('liquido-ui');

  // Typed with a mistake: channel X. The preview answers with the span to mark.
  await form.locator('textarea[name=formula]').pressSequentially(`${A}.C - ${B}.X`, { delay: 5 });
  const mark = page.locator('.formula-problem mark');
  await mark.waitFor();
  assert.equal(await text(mark), 'X');
  assert.match(await text(page.locator('.formula-problem')), /coluna 33/);
  await shot('20-virtual-erro');

  await form.locator('textarea[name=formula]').press('Backspace');
  await form.locator('textarea[name=formula]').pressSequentially('G', { delay: 5 });
  await page.locator('.formula-problem').waitFor({ state: 'detached' });
  await page.locator('.preview-chart .chart .u-over').waitFor();
  const inputs = await text(page.locator('table.preview-inputs'));
  assert.match(inputs, new RegExp(`${A}\\.C`));
  assert.match(inputs, new RegExp(`${B}\\.G`));
  // Slots 100–109 of A are estimated on both days: 20 slots not actual, all caused by A.
  assert.match(await text(page.locator('table.preview-counts tbody')), /20/);
  await shot('21-virtual-previa');

  await form.locator('button[type=submit]').click();
  await page.locator('h1', { hasText: 'liquido-ui' }).waitFor();
  const detail = await text(page.locator('main'));
  assert.match(detail, /Entradas/);
  assert.match(detail, new RegExp(`${A}\\.C - ${B}\\.G`));
  assert.match(detail, /versão 1/);
  await shot('22-virtual-detalhe');

  const created = await store.db
    .selectFrom('audit_log')
    .select(['actor'])
    .where('entity', '=', 'virtual_meter')
    .where('action', '=', 'create')
    .execute();
  assert.deepEqual(created, [{ actor: `user:${USER}` }]);
});

test('Resumos shows the totals per channel with completeness and offers the downloads', async () => {
  await page.locator('nav a[href="#/resumos"]').click();
  await page.getByRole('heading', { name: 'Resumos de energia' }).waitFor();
  const totals = page.locator('table.summary-totals tbody tr');
  await totals.first().waitFor();
  const all = await text(page.locator('table.summary-totals'));
  assert.match(all, /Livre/);
  assert.match(all, /Geração/);
  assert.equal(await page.locator('a[href*="format=xlsx"]').count(), 1);
  await shot('23-resumos');
});
