import { NotBuilt } from '../../components/NotBuilt.js';

/** Placeholder until the Settings page is built. */
export default function SettingsPage() {
  return (
    <NotBuilt
      id="settings"
      title="Settings"
      purpose="Will hold Gatehouse's own settings: where it looks, the local store and credential storage."
    />
  );
}
