/** Usuários (admin): list, create, change role, disable / re-enable, issue an API token (shown once). */
import { useState } from 'preact/hooks';
import { get, type Me, type Page, patch, post, type User } from '../api.ts';
import { ErrorBox, Notice, Section, useAsync, View } from '../components/ui.tsx';
import { fmtDateTime } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';

const ROLES = ['admin', 'analista', 'leitura'] as const;

export function Usuarios({ me }: { me: Me }) {
  const [version, setVersion] = useState(0);
  const users = useAsync(() => get<Page<User>>('/users', { limit: 1000 }), [version]);
  const [form, setForm] = useState({ username: '', displayName: '', role: 'leitura', password: '' });
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const [token, setToken] = useState<string | null>(null);

  if (me.role !== 'admin') return <ErrorBox error={new Error(t.usuarios.adminOnly)} />;

  const act = async (f: () => Promise<string | null>) => {
    setNotice(null);
    try {
      const text = await f();
      if (text) setNotice({ text, kind: 'ok' });
      setVersion((v) => v + 1);
    } catch (e) {
      setNotice({ text: (e as Error).message, kind: 'error' });
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    act(async () => {
      const u = await post<User>('/users', { ...form, displayName: form.displayName || null });
      setForm({ username: '', displayName: '', role: 'leitura', password: '' });
      return t.usuarios.created(u.username);
    });
  };
  const issue = (u: User) =>
    act(async () => {
      const name = window.prompt(t.usuarios.tokenName, t.usuarios.tokenDefault);
      if (!name) return null;
      const r = await post<{ token: string }>(`/users/${u.id}/tokens`, { name });
      setToken(r.token);
      return null;
    });

  return (
    <div class="page">
      <h1>{t.usuarios.title}</h1>
      <Notice text={notice?.text ?? null} kind={notice?.kind} />
      {token && (
        <p class="notice ok">
          {t.usuarios.tokenShown} <code>{token}</code>
        </p>
      )}
      <Section title={t.usuarios.title}>
        <View state={users} isEmpty={(d) => d.items.length === 0}>
          {(d) => (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>{t.usuarios.username}</th>
                    <th>{t.usuarios.name}</th>
                    <th>{t.usuarios.role}</th>
                    <th>{t.usuarios.lastLogin}</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((u) => (
                    <tr key={u.id} class={u.disabled ? 'muted' : ''}>
                      <td>{u.username}</td>
                      <td>{u.displayName ?? t.common.none}</td>
                      <td>
                        <select
                          value={u.role}
                          disabled={u.id === me.id}
                          onChange={(e) => {
                            const role = e.currentTarget.value;
                            act(async () => {
                              await patch<User>(`/users/${u.id}`, { role });
                              return null;
                            });
                          }}
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {t.roles[r]}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td>{fmtDateTime(u.lastLoginAt)}</td>
                      <td>
                        <div class="buttons">
                          {u.id !== me.id && (
                            <button
                              type="button"
                              onClick={() =>
                                act(async () => {
                                  await patch<User>(`/users/${u.id}`, { disabled: !u.disabled });
                                  return null;
                                })
                              }
                            >
                              {u.disabled ? t.usuarios.enable : t.usuarios.disable}
                            </button>
                          )}
                          <button type="button" onClick={() => issue(u)}>
                            {t.usuarios.token}
                          </button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </View>
      </Section>
      <Section title={t.usuarios.create}>
        <form class="filters" onSubmit={create}>
          <label>
            {t.usuarios.username}
            <input
              required
              pattern="[a-z0-9][a-z0-9._\-]{1,63}"
              value={form.username}
              onInput={(e) => setForm({ ...form, username: e.currentTarget.value })}
            />
          </label>
          <label>
            {t.usuarios.name}
            <input value={form.displayName} onInput={(e) => setForm({ ...form, displayName: e.currentTarget.value })} />
          </label>
          <label>
            {t.usuarios.role}
            <select value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t.roles[r]}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.usuarios.password}
            <input
              type="password"
              required
              minLength={10}
              autoComplete="new-password"
              value={form.password}
              onInput={(e) => setForm({ ...form, password: e.currentTarget.value })}
            />
          </label>
          <div class="buttons">
            <button type="submit" class="primary">
              {t.common.save}
            </button>
          </div>
        </form>
      </Section>
    </div>
  );
}
