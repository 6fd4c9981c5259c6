/**
 * `fronteira user …` as an operator runs it: each command its own process on one embedded store, passwords on stdin.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyPassword } from '../api/auth/passwords.ts';
import { sha256 } from '../api/auth/tokens.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { openStore } from '../store/pool.ts';
import { readNewPassword } from './user.ts';

const BIN = fileURLToPath(new URL('../../bin/fronteira.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fronteira-user-cli-'));
const dataDir = join(dir, 'store');

after(() => rmSync(dir, { recursive: true, force: true }));

function fronteira(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const child = execFile(
      process.execPath,
      [BIN, ...args, '--data-dir', dataDir],
      { timeout: 120_000, env },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: number }).code : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
    child.stdin!.end(stdin);
  });
}

test('user add / list / token / passwd: the first admin from stdin, no default password, token printed once', async () => {
  const noUsers = await fronteira(['user', 'list']);
  assert.equal(noUsers.code, 0, noUsers.stderr);
  assert.match(noUsers.stdout, /no users; create the first admin/);

  const short = await fronteira(['user', 'add', 'root', '--role', 'admin'], 'short\n');
  assert.equal(short.code, 2);
  assert.match(short.stderr, /FRONTEIRA_E_CLI_ARGUMENT.*at least 10 characters/);
  const empty = await fronteira(['user', 'add', 'root', '--role', 'admin'], '');
  assert.equal(empty.code, 2);
  const badRole = await fronteira(['user', 'add', 'root', '--role', 'superuser'], 'long-enough-pw\n');
  assert.equal(badRole.code, 2);
  assert.match(badRole.stderr, /--role: 'superuser'/);

  const add = await fronteira(['user', 'add', 'ana', '--role', 'admin', '--name', 'Ana Souza'], 'first-password-1\n');
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /user ana created \(id \d+, role admin\)/);
  const dup = await fronteira(['user', 'add', 'ana', '--role', 'leitura'], 'other-password-1\n');
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, /FRONTEIRA_E_CONFLICT/);

  const list = await fronteira(['user', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout);
  assert.equal(listed.total, 1);
  assert.deepEqual(
    { username: listed.users[0].username, role: listed.users[0].role, displayName: listed.users[0].displayName },
    { username: 'ana', role: 'admin', displayName: 'Ana Souza' },
  );

  const token = await fronteira(['user', 'token', 'ana', '--name', 'prometheus']);
  assert.equal(token.code, 0, token.stderr);
  const secret = token.stdout.trim();
  assert.match(secret, /^frt_[A-Za-z0-9_-]{43}$/);
  const missing = await fronteira(['user', 'token', 'nobody', '--name', 'x']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /FRONTEIRA_E_NOT_FOUND/);

  const passwd = await fronteira(['user', 'passwd', 'ana'], 'second-password-2\n');
  assert.equal(passwd.code, 0, passwd.stderr);

  const store = await openStore({ dataDir });
  try {
    const u = await store.db.selectFrom('app_user').selectAll().where('username', '=', 'ana').executeTakeFirstOrThrow();
    assert.equal(await verifyPassword('second-password-2', u.password_hash), true);
    assert.equal(await verifyPassword('first-password-1', u.password_hash), false);
    const t = await store.db.selectFrom('api_token').selectAll().executeTakeFirstOrThrow();
    assert.equal(t.token_hash, sha256(secret));
    const actions = await store.db
      .selectFrom('audit_log')
      .select(['action', 'entity', 'actor'])
      .orderBy('id')
      .execute();
    assert.deepEqual(
      actions.map((a) => `${a.entity}:${a.action}`),
      ['user:create', 'api_token:create', 'user:update_password'],
    );
    assert.ok(actions.every((a) => a.actor.startsWith('cli:')));
  } finally {
    await store.close();
  }
});

test('on a terminal the password is prompted twice without echo; a mismatch is refused', async () => {
  const tty = () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
    const stderr = new PassThrough();
    let shown = '';
    stderr.on('data', (d) => {
      shown += d.toString();
    });
    return { stdin, stderr, shown: () => shown };
  };
  const ok = tty();
  const p = readNewPassword(ok);
  ok.stdin.write('secret-pass');
  ok.stdin.write('\u007fX\r');
  await new Promise((r) => setImmediate(r));
  ok.stdin.write('secret-pasX\r');
  assert.equal(await p, 'secret-pasX');
  assert.equal(ok.shown().includes('secret'), false);
  assert.match(ok.shown(), /Password \(at least 10 characters\): \nRepeat the password: \n/);

  const bad = tty();
  const q = readNewPassword(bad);
  bad.stdin.write('secret-pass-1\r');
  await new Promise((r) => setImmediate(r));
  bad.stdin.write('secret-pass-2\r');
  await assert.rejects(q, (e) => isFronteiraError(e, 'FRONTEIRA_E_CLI_ARGUMENT') && /differ/.test(e.message));
});
