import { NotBuilt } from '../../components/NotBuilt.js';

/** Placeholder until the Audit page is built. */
export default function AuditPage() {
  return (
    <NotBuilt
      id="audit"
      title="Audit"
      purpose="Will show a timeline of what changed on the workstation and in Gatehouse: discovery runs, new or removed servers, findings and admin actions."
    />
  );
}
