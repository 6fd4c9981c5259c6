/**
 * `fronteira user add|list|token|passwd`: API users from the command line. The first admin is created here — there
 * is no default password anywhere. Passwords come from stdin (first line; for scripts) or, on a terminal, from a
 * prompt that does not echo and asks twice. Changes are audited as `cli:<os user>`.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { createUser, issueToken, requireUser, updateUser } from '../api/auth/accounts.ts';
import { MIN_PASSWORD_LENGTH } from '../api/auth/passwords.ts';
import { isRole } from '../api/auth/roles.ts';
import { FronteiraError } from '../domain/errors.ts';
import { listUsers } from '../store/users.ts';
import { addStoreOptions, type StoreFlags, withStore } from './store.ts';

function actor(): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME;
  }
  return `cli:${user || 'unknown'}`;
}

export interface PasswordInput {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stderr: NodeJS.WritableStream;
}

/** Reads what a pipe gives (up to the first newline). */
async function readPiped(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString();
    if (text.includes('\n') || text.length > 4096) break;
  }
  return text.split(/\r?\n/)[0];
}

/** One line from a terminal without echo. */
function promptHidden(io: PasswordInput, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { stdin, stderr } = io;
    stderr.write(question);
    stdin.setRawMode?.(true);
    stdin.resume();
    let value = '';
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          done();
          stderr.write('\n');
          reject(new FronteiraError('FRONTEIRA_E_CLI_ARGUMENT', 'password entry cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = () => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

export async function readNewPassword(io: PasswordInput): Promise<string> {
  let password: string;
  if (io.stdin.isTTY) {
    password = await promptHidden(io, `Password (at least ${MIN_PASSWORD_LENGTH} characters): `);
    const again = await promptHidden(io, 'Repeat the password: ');
    if (again !== password) throw new FronteiraError('FRONTEIRA_E_CLI_ARGUMENT', 'the two passwords differ');
  } else {
    password = await readPiped(io.stdin);
  }
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new FronteiraError(
      'FRONTEIRA_E_CLI_ARGUMENT',
      `password: must have at least ${MIN_PASSWORD_LENGTH} characters (give it on stdin or at the prompt)`,
    );
  }
  return password;
}

const stdio = (): PasswordInput => ({ stdin: process.stdin, stderr: process.stderr });

type Flags = StoreFlags & { role?: string; name?: string; json?: boolean };

export function registerUser(program: Command): void {
  const user = program.command('user').description('API users: add, list, API tokens, passwords');

  addStoreOptions(
    user
      .command('add <username>')
      .description('create a user; the password is read from stdin or prompted for')
      .requiredOption('--role <role>', 'admin, analista or leitura')
      .option('--name <name>', 'display name'),
  ).action(async (username: string, flags: Flags) => {
    if (!isRole(flags.role)) {
      throw new FronteiraError('FRONTEIRA_E_CLI_ARGUMENT', `--role: '${flags.role}' is not admin, analista or leitura`);
    }
    const role = flags.role;
    const password = await readNewPassword(stdio());
    await withStore(flags, async (store) => {
      const u = await createUser(
        { db: store.db, actor: actor() },
        { username, role, password, displayName: flags.name ?? null },
      );
      process.stdout.write(`user ${u.username} created (id ${u.id}, role ${u.role})\n`);
    });
  });

  addStoreOptions(user.command('list').description('list users').option('--json', 'JSON output')).action(
    async (flags: Flags) => {
      await withStore(flags, async (store) => {
        const { items, total } = await listUsers(store.db, { limit: 10_000, offset: 0 });
        if (flags.json) {
          const users = items.map((u) => ({
            id: u.id,
            username: u.username,
            displayName: u.display_name,
            role: u.role,
            disabled: u.disabled_at !== null,
            createdAt: u.created_at.toISOString(),
            lastLoginAt: u.last_login_at?.toISOString() ?? null,
          }));
          process.stdout.write(`${JSON.stringify({ total, users }, null, 2)}\n`);
          return;
        }
        if (items.length === 0) {
          process.stdout.write('no users; create the first admin with `fronteira user add <name> --role admin`\n');
          return;
        }
        const rows = items.map((u) => [
          u.username,
          u.role,
          u.disabled_at ? 'disabled' : 'enabled',
          u.last_login_at?.toISOString() ?? '-',
          u.display_name ?? '',
        ]);
        const head = ['USERNAME', 'ROLE', 'STATUS', 'LAST LOGIN', 'NAME'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        for (const r of [head, ...rows]) {
          process.stdout.write(
            `${r
              .map((c, i) => c.padEnd(widths[i]))
              .join('  ')
              .trimEnd()}\n`,
          );
        }
      });
    },
  );

  addStoreOptions(
    user
      .command('token <username>')
      .description('issue an API token (printed once, on stdout) for integrations')
      .requiredOption('--name <name>', 'what the token is for, e.g. "scada-export"'),
  ).action(async (username: string, flags: Flags) => {
    await withStore(flags, async (store) => {
      const u = await requireUser(store.db, username);
      const t = await issueToken({ db: store.db, actor: actor() }, u.id, flags.name ?? '');
      process.stderr.write(`token ${t.row.id} '${t.row.name}' for ${u.username} (${u.role}); keep it secret:\n`);
      process.stdout.write(`${t.token}\n`);
    });
  });

  addStoreOptions(
    user.command('passwd <username>').description('set a new password (stdin or prompt); ends the user’s sessions'),
  ).action(async (username: string, flags: Flags) => {
    const password = await readNewPassword(stdio());
    await withStore(flags, async (store) => {
      const u = await requireUser(store.db, username);
      await updateUser({ db: store.db, actor: actor() }, u.id, { password });
      process.stdout.write(`password of ${u.username} changed\n`);
    });
  });
}
