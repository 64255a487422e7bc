import { Suspense, useEffect } from 'react';
import type { ClientMode } from '../client/index.js';
import { useAdminQuery } from '../client/index.js';
import { ErrorBoundary } from '../components/ErrorBoundary.js';
import { ConfigChangeHost } from '../components/ConfigChangeDialog.js';
import { routeHref, useRoute } from './router.js';
import { findRoute, ROUTES } from './routes.js';
import { useShortcuts } from './shortcuts.js';
import { applyTheme, useUi } from './ui-store.js';

/** The app shell: left nav, header (mode, version, theme), and the routed page. */
export function App({ clientMode }: { clientMode: ClientMode }) {
  const route = useRoute();
  const def = findRoute(route.page);
  const activeNav = def?.nav ? def.id : def?.parent;
  const theme = useUi((s) => s.theme);
  useEffect(() => applyTheme(theme), [theme]);
  useShortcuts();

  useEffect(() => {
    document.title = def ? `${def.label} · Gatehouse` : 'Gatehouse';
  }, [def]);

  const Page = def?.component;
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
                  {r.label}
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
                  There is no page “{route.page}”. <a href={routeHref('inventory')}>Go to the inventory</a>.
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
        aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        title={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
      >
        {theme === 'dark' ? '☀ Light' : '☾ Dark'}
      </button>
    </header>
  );
}
