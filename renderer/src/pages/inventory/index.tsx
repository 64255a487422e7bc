import { NotBuilt } from '../../components/NotBuilt.js';

export default function InventoryPage() {
  return <NotBuilt id="inventory" title="Inventory" purpose="Being built." />;
}
