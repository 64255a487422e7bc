import { NotBuilt } from '../../components/NotBuilt.js';

/** Placeholder until the Policy page is built. */
export default function PolicyPage() {
  return (
    <NotBuilt
      id="policy"
      title="Policy"
      purpose="Will define which servers, transports and clients are allowed, and check the workstation against that policy."
    />
  );
}
