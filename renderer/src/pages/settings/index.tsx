import '../server/live.css';
import { SETTINGS_SECTIONS } from './sections.js';

/** Settings: one section per capability (see sections.ts). */
export default function SettingsPage() {
  return (
    <section className="page" data-testid="page-settings" aria-labelledby="settings-title">
      <header className="page-header">
        <h1 id="settings-title">Settings</h1>
      </header>
      <div className="gh-sections">
        {SETTINGS_SECTIONS.map((s) => (
          <section
            key={s.id}
            className="panel"
            data-testid={`settings-${s.id}`}
            aria-labelledby={`settings-${s.id}-title`}
          >
            <header className="panel-head">
              <h2 id={`settings-${s.id}-title`}>{s.title}</h2>
            </header>
            <div className="panel-body">
              <s.component />
            </div>
          </section>
        ))}
      </div>
    </section>
  );
}
