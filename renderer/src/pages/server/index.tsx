import type { PageProps } from '../../app/routes.js';
import { NotBuilt } from '../../components/NotBuilt.js';

export default function ServerPage(_props: PageProps) {
  return <NotBuilt id="server" title="Server" purpose="Being built." />;
}
