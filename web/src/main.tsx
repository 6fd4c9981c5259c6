/**
 * The application shell: who is logged in (GET /auth/me, else the login page), the navigation and the page of the
 * current hash route.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, type Me, post, setCsrf, setUnauthorizedHandler } from './api.ts';
import { ErrorBox, Loading } from './components/ui.tsx';
import { t } from './i18n/pt-BR.ts';
import { Bench } from './pages/Bench.tsx';
import { Cadastro } from './pages/Cadastro.tsx';
import { Exportacoes } from './pages/Exportacoes.tsx';
import { Leituras } from './pages/Leituras.tsx';
import { Login } from './pages/Login.tsx';
import { Painel } from './pages/Painel.tsx';
import { Ponto } from './pages/Ponto.tsx';
import { Pontos } from './pages/Pontos.tsx';
import { Relatorios } from './pages/Relatorios.tsx';
import { Resumos } from './pages/Resumos.tsx';
import { Usuarios } from './pages/Usuarios.tsx';
import { Virtuais } from './pages/Virtuais.tsx';
import { type Route, useRoute } from './router.ts';
import './styles.css';

function Page({ route, me }: { route: Route; me: Me }) {
  const [first, second] = route.parts;
  switch (first) {
    case undefined:
    case 'painel':
      return <Painel />;
    case 'pontos':
      return <Pontos route={route} />;
    case 'ponto':
      return <Ponto code={second ?? ''} me={me} />;
    case 'leituras':
      return <Leituras route={route} />;
    case 'cadastro':
      return <Cadastro me={me} />;
    case 'usuarios':
      return <Usuarios me={me} />;
    case 'virtuais':
      return <Virtuais route={route} me={me} />;
    case 'resumos':
      return <Resumos route={route} />;
    case 'exportacoes':
      return <Exportacoes route={route} me={me} />;
    case 'relatorios':
      return <Relatorios />;
    default:
      return <ErrorBox error={new Error(t.errors.byCode.FRONTEIRA_E_NOT_FOUND)} />;
  }
}

function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    setUnauthorizedHandler(() => setMe(null));
    get<Me>('/auth/me').then(
      (m) => {
        setCsrf(m.csrfToken);
        setMe(m);
      },
      (e: Error) => {
        if (e instanceof ApiError && e.status === 401) setMe(null);
        else setError(e);
      },
    );
  }, []);

  useEffect(() => setMenuOpen(false), [route]);

  if (route.parts[0] === 'bench') return <Bench route={route} />;
  if (error) return <ErrorBox error={error} onRetry={() => location.reload()} />;
  if (me === undefined) return <Loading />;
  if (me === null)
    return (
      <Login
        onLogin={(m) => {
          setCsrf(m.csrfToken);
          setMe(m);
        }}
      />
    );

  const current = route.parts[0] ?? 'painel';
  const links: [string, string][] = [
    ['painel', t.nav.painel],
    ['pontos', t.nav.pontos],
    ['leituras', t.nav.leituras],
    ['virtuais', t.virtuais.nav],
    ['resumos', t.resumos.nav],
    ['exportacoes', t.exportacoes.nav],
    ['relatorios', t.relatorios.nav],
    ['cadastro', t.nav.cadastro],
  ];
  if (me.role === 'admin') links.push(['usuarios', t.nav.usuarios]);
  const logout = async () => {
    await post('/auth/logout').catch(() => undefined);
    setCsrf(null);
    setMe(null);
  };
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/painel">
          {t.app.name}
          <small>{t.app.tagline}</small>
        </a>
        <button type="button" class="menu-toggle" aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
          {t.app.menu}
        </button>
        <nav class={menuOpen ? 'open' : ''}>
          {links.map(([path, label]) => (
            <a
              key={path}
              href={`#/${path}`}
              class={current === path || (path === 'pontos' && current === 'ponto') ? 'active' : ''}
            >
              {label}
            </a>
          ))}
        </nav>
        <div class="who">
          <span>
            {me.displayName ?? me.username} · {t.roles[me.role]}
          </span>
          <button type="button" class="link" onClick={logout}>
            {t.app.logout}
          </button>
        </div>
      </header>
      <main>
        <Page route={route} me={me} />
      </main>
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
