import type { ComponentType } from 'react';
import { AuditSourcesSection } from './AuditSourcesSection.js';
import { ConsentsSection } from './ConsentsSection.js';
import { IdentitySection } from './IdentitySection.js';
import { TeamStoreSection } from './TeamStoreSection.js';

/**
 * Settings is a list of sections, one per capability: add yours here (id, title, component).
 * Each renders inside its own `<section data-testid="settings-<id>">`.
 */
export interface SettingsSection {
  id: string;
  title: string;
  component: ComponentType;
}

export const SETTINGS_SECTIONS: SettingsSection[] = [
  { id: 'identity', title: 'Identity', component: IdentitySection },
  { id: 'consents', title: 'Server start consents', component: ConsentsSection },
  { id: 'audit-sources', title: 'Audit sources', component: AuditSourcesSection },
  { id: 'team-store', title: 'Team store', component: TeamStoreSection },
];
