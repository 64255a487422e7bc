import { NotBuilt } from '../../components/NotBuilt.js';

/** Placeholder until the Gateways page is built. */
export default function GatewaysPage() {
  return (
    <NotBuilt
      id="gateways"
      title="Gateways"
      purpose="Will register MCP gateways and show which servers reach the network through them."
    />
  );
}
