/** Entrar: username and password; the answer carries the CSRF token the client sends on unsafe requests. */
import { useState } from 'preact/hooks';
import { type Me, post } from '../api.ts';
import { ErrorBox } from '../components/ui.tsx';
import { t } from '../i18n/pt-BR.ts';

export function Login({ onLogin }: { onLogin: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await post<Me>('/auth/login', { username, password }));
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="login">
      <form class="card" onSubmit={submit}>
        <h1>
          {t.app.name} <small>{t.app.tagline}</small>
        </h1>
        <h2>{t.login.title}</h2>
        <label>
          {t.login.username}
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          {t.login.password}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && <ErrorBox error={error} />}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t.login.submitting : t.login.submit}
        </button>
      </form>
    </div>
  );
}
