import { NotBuilt } from '../../components/NotBuilt.js';

/** Placeholder until the Tenants page is built. */
export default function TenantsPage() {
  return (
    <NotBuilt
      id="tenants"
      title="Tenants"
      purpose="Will group servers and gateways into tenant scopes, so each team's MCP use can be reviewed and governed separately."
    />
  );
}
