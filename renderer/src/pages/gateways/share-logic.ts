import type { GatewayShareResult } from '../../../../shared/api/gateways.js';

/** What the Gateways page says after a share, and what its Undo may take back. */
export interface SharedNote {
  id: string;
  name: string;
  /**
   * The team row version Undo removes at; null when the share joined a team gateway that already
   * existed (another admin's): undoing would take that gateway away from every admin, not revert
   * this workstation's join, so no Undo is offered.
   */
  undoVersion: string | null;
  /** Who set the team gateway this connection joined (null: this share created it). */
  joinedBy: string | null;
}

export function sharedNote(r: GatewayShareResult): SharedNote | null {
  const team = r.gateway.team;
  if (!team) return null;
  return {
    id: r.gateway.id,
    name: r.gateway.name,
    undoVersion: r.joins ? null : team.version,
    joinedBy: r.joins?.updatedBy ?? null,
  };
}
