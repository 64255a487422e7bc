import { Suspense, useEffect } from 'react';
import type { ClientMode } from '../client/index.js';
import { useAdminQuery } from '../client/index.js';
import { ErrorBoundary } from '../components/ErrorBoundary.js';
import { ConfigChangeHost } from '../components/ConfigChangeDialog.js';
import { routeHref, useRoute } from './router.js';
import { findRoute, preloadPages, ROUTES } from './routes.js';
import { useShortcuts } from './shortcuts.js';
import { applyTheme, useUi } from './ui-store.js';

/** The app shell: left nav, header (mode, version, theme), and the routed page. */
export function App({ clientMode, hasToken = true }: { clientMode: ClientMode; hasToken?: boolean }) {
  const route = useRoute();
  const def = findRoute(route.page);
  const activeNav = def?.nav ? def.id : def?.parent;
  const theme = useUi((s) => s.theme);
  useEffect(() => applyTheme(theme), [theme]);
  useShortcuts();

  useEffect(() => {
    document.title = def ? `${def.label} · Gatehouse` : 'Gatehouse';
  }, [def]);

  const info = useAdminQuery('app.info', {}, { staleTime: Infinity, retry: false });
  useEffect(() => {
    // After the first page has painted: fetch the other page chunks in idle time.
    preloadPages();
  }, []);

  const Page = def?.component;
  if (clientMode === 'browser' && (!hasToken || info.error?.code === 'unauthorized')) {
    return <TokenRequired hadToken={hasToken} />;
  }
  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand" aria-label="Gatehouse">
          <span className="brand-mark" aria-hidden="true">
            <svg width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.6">
              <path d="M2 14V6l3-2v2l3-3 3 3V4l3 2v8" strokeLinejoin="round" />
              <path d="M6.5 14v-3.5a1.5 1.5 0 0 1 3 0V14" />
            </svg>
          </span>
          <span className="brand-name">Gatehouse</span>
        </div>
        <nav aria-label="Main">
          <ul className="nav-list">
            {ROUTES.filter((r) => r.nav).map((r) => (
              <li key={r.id}>
                <a
                  className="nav-link"
                  href={routeHref(r.id)}
                  data-testid={`nav-${r.id}`}
                  aria-current={activeNav === r.id ? 'page' : undefined}
                >
                  <span className="nav-label">{r.label}</span>
                  <NavCount id={r.id} />
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </aside>
      <div className="main-col">
        <Header clientMode={clientMode} />
        <main id="main" className="main" tabIndex={-1}>
          <ErrorBoundary key={route.page}>
            {Page ? (
              <Suspense
                fallback={
                  <section className="page" data-testid="page-loading" aria-busy="true">
                    <p className="muted">Loading…</p>
                  </section>
                }
              >
                <Page params={route.params} />
              </Suspense>
            ) : (
              <section className="page" data-testid="page-not-found">
                <header className="page-header">
                  <h1>Not found</h1>
                </header>
                <p className="muted">
                  There is no page “{route.page}”. <a href={routeHref('overview')}>Go to the overview</a>.
                </p>
              </section>
            )}
          </ErrorBoundary>
        </main>
      </div>
      <ConfigChangeHost />
    </div>
  );
}

function skipToMain(e: React.MouseEvent) {
  // The hash is the router's: move focus without navigating.
  e.preventDefault();
  document.getElementById('main')?.focus();
}

function Header({ clientMode }: { clientMode: ClientMode }) {
  const info = useAdminQuery('app.info', {}, { staleTime: Infinity });
  const theme = useUi((s) => s.theme);
  const toggleTheme = useUi((s) => s.toggleTheme);
  const mode = info.data?.mode ?? clientMode;
  return (
    <header className="topbar">
      <div className="topbar-spacer" />
      <span className="badge" data-testid="app-mode" title="How this window talks to Gatehouse">
        {mode === 'desktop' ? 'Desktop' : 'Browser mode'}
      </span>
      <span className={info.isError ? 'badge badge-danger' : 'muted mono'} data-testid="app-version">
        {info.data ? `v${info.data.version}` : info.isError ? 'service unavailable' : '…'}
      </span>
      <button
        type="button"
        className="btn btn-ghost"
        data-testid="theme-toggle"
        onClick={toggleTheme}
        aria-label={`Theme: ${theme}. Switch to ${theme === 'dark' ? 'light' : 'dark'}`}
        title={`Theme: ${theme} (click for ${theme === 'dark' ? 'light' : 'dark'})`}
        data-theme-current={theme}
      >
        <span aria-hidden="true">{theme === 'dark' ? '☾' : '☀'}</span> Theme: {theme}
      </button>
    </header>
  );
}

/** Counts beside nav entries: open findings, servers waiting for consent (shared queries). */
function NavCount({ id }: { id: string }) {
  if (id === 'findings') return <FindingsCount />;
  if (id === 'inventory') return <ConsentCount />;
  return null;
}

function FindingsCount() {
  const q = useAdminQuery('findings.list', {});
  const open = q.data?.summary.open ?? 0;
  if (!q.data?.scanId || open === 0) return null;
  const s = q.data.summary.bySeverity;
  const serious = s.critical + s.high > 0;
  return (
    <span
      className={serious ? 'nav-count nav-count-danger' : 'nav-count'}
      data-testid="nav-count-findings"
      data-count={open}
      aria-label={`${open} open findings`}
      title={`${open} open findings (${s.critical} critical, ${s.high} high)`}
    >
      {open}
    </span>
  );
}

function ConsentCount() {
  const q = useAdminQuery('live.states', {}, { topics: ['discovery'] });
  const n = q.data?.filter((s) => s.status === 'needs-consent').length ?? 0;
  if (n === 0) return null;
  return (
    <span
      className="nav-count nav-count-warn"
      data-testid="nav-count-consent"
      data-count={n}
      aria-label={`${n} servers need consent`}
      title={`${n} servers need consent before they can be connected`}
    >
      {n}
    </span>
  );
}

/**
 * Browser mode opened without its per-launch token (or with a stale one from an earlier launch):
 * instead of the app failing request by request, say where the working link is.
 */
function TokenRequired({ hadToken }: { hadToken: boolean }) {
  useEffect(() => {
    document.title = 'Open the link from gatehouse serve · Gatehouse';
  }, []);
  return (
    <main className="token-page" data-testid="token-required" id="main">
      <section className="token-card" aria-labelledby="token-title">
        <h1 id="token-title">Open Gatehouse with its link</h1>
        <p>
          {hadToken
            ? 'The access token in this tab is not valid for the running Gatehouse (it was started again since, or stopped).'
            : 'This page was opened without its access token.'}{' '}
          Each time <code>gatehouse serve</code> starts, it prints a link with a new token, for example:
        </p>
        <pre className="token-example">http://127.0.0.1:PORT/?token=…</pre>
        <p>
          Open that exact link from the terminal where <code>gatehouse serve</code> runs. The token keeps other local
          programs and web pages from reaching the admin API; it is removed from the address bar once the page has
          loaded.
        </p>
      </section>
    </main>
  );
}
