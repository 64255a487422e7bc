import { NotBuilt } from '../../components/NotBuilt.js';

/** Placeholder until the Findings page is built. */
export default function FindingsPage() {
  return (
    <NotBuilt
      id="findings"
      title="Findings"
      purpose="Will list credential and configuration findings for every discovered server (leaked secrets, plaintext transports, unpinned runners), with severity, masked evidence and suppressions."
    />
  );
}
