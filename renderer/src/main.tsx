import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { applyTheme, useUi } from './app/ui-store.js';
import { AdminProvider, createAdminClient, createQueryClient } from './client/index.js';
import './styles/theme.css';
import './styles/app.css';

applyTheme(useUi.getState().theme);
const { client, mode, hasToken } = createAdminClient();
const queryClient = createQueryClient();
const root = document.getElementById('root');
if (!root) throw new Error('#root missing from index.html');
createRoot(root).render(
  <StrictMode>
    <AdminProvider client={client} queryClient={queryClient}>
      <App clientMode={mode} hasToken={hasToken} />
    </AdminProvider>
  </StrictMode>,
);
