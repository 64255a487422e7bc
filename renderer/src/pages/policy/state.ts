import { create } from 'zustand';
import type { MethodInput } from '../../../../shared/api/contract.js';
import { navigate } from '../../app/router.js';

/**
 * The Policy page's URL (`#/policy/<gateway>/<tab>/<version>`) and its draft, which outlives the
 * page (going to Tenants to look at the result and coming back keeps the editor's text). The
 * draft is UI state: the services only see it when asked to validate, plan, simulate or push.
 */

export const TABS = ['problems', 'plan', 'delta', 'simulation', 'compile', 'versions'] as const;
export type PolicyTab = (typeof TABS)[number];
export const TAB_LABEL: Record<PolicyTab, string> = {
  problems: 'Problems',
  plan: 'Plan',
  delta: 'Access delta',
  simulation: 'Simulation',
  compile: 'Compile',
  versions: 'Versions',
};

export interface PolicyRoute {
  gatewayId: string;
  tab: PolicyTab;
  version: string;
}

const NONE = '-';

export function parsePolicyParams(params: readonly string[]): PolicyRoute {
  const g = params[0] ?? '';
  const tab = (TABS as readonly string[]).includes(params[1] ?? '') ? (params[1] as PolicyTab) : 'problems';
  return { gatewayId: g === NONE ? '' : g, tab, version: params[2] ?? '' };
}

export function policyHrefParams(r: PolicyRoute): string[] {
  const out = [r.gatewayId || NONE, r.tab];
  if (r.version) out.push(r.version);
  return out;
}

/** Replaces the page's URL state (a new history entry, so Back returns to the previous tab). */
export function goPolicy(r: PolicyRoute): void {
  navigate('policy', ...policyHrefParams(r));
}

export interface Draft {
  text: string;
  /** From the last pull: a push checks the gateway has not moved on since. */
  baseId: string | null;
  /** The text as pulled or loaded, to tell whether the editor holds unsaved edits. */
  loadedText: string;
  /** Where the text came from, for the status line. */
  origin: string;
  /** Gateway the text was pulled from. */
  gatewayId: string | null;
  /**
   * The stored version the draft was based on (the lineage's latest when it was pulled, loaded or
   * saved; null: the lineage had none), sent as `expectedVersion` on save and push so another
   * admin's save meanwhile is a conflict. Undefined: unknown (no check).
   */
  baseVersion?: string | null;
  /** The lineage `baseVersion` belongs to: a gateway id, or null for the unbound policy. */
  baseLineage?: string | null;
}

/** A draft set aside when the admin reloaded the latest version after a conflict (never dropped silently). */
export interface KeptDraft {
  text: string;
  keptAt: string;
  origin: string;
}
const KEPT_KEY = 'gatehouse.policy.keptDraft';

function readKept(): KeptDraft | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(KEPT_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<KeptDraft>;
    return typeof v.text === 'string' && typeof v.keptAt === 'string'
      ? { text: v.text, keptAt: v.keptAt, origin: String(v.origin ?? '') }
      : null;
  } catch {
    return null;
  }
}

/**
 * Kept in this window's session storage too, so a reload does not lose it. Not local storage: a
 * policy names teams and member e-mails, which should not outlive the session on disk unencrypted.
 */
function writeKept(k: KeptDraft | null): void {
  try {
    if (k) globalThis.sessionStorage?.setItem(KEPT_KEY, JSON.stringify(k));
    else globalThis.sessionStorage?.removeItem(KEPT_KEY);
  } catch {
    // Storage unavailable (private mode, quota): the in-memory copy still holds it for this session.
  }
}

/**
 * What was last asked of plan / simulate / compile. The answers live in the query cache under
 * these inputs, so leaving the page (to the Audit events of a simulation, to Tenants) and coming
 * back shows them again.
 */
export interface Requests {
  plan: MethodInput<'policy.plan'> | null;
  simulate: MethodInput<'policy.simulate'> | null;
  compile: MethodInput<'policy.compile'> | null;
}
const NO_REQUESTS: Requests = { plan: null, simulate: null, compile: null };

interface DraftState {
  draft: Draft;
  requests: Requests;
  request<K extends keyof Requests>(kind: K, input: Requests[K]): void;
  clearRequests(): void;
  /** Bumped whenever the text is replaced from outside the editor (pull, open, load). */
  revision: number;
  /** `loadedText`: what counts as unedited (default: the text itself). */
  load(d: Omit<Draft, 'loadedText'> & { loadedText?: string }): void;
  edit(text: string): void;
  /** The draft was stored as `hash`: it is now the base, and the editor holds no unsaved edits. */
  saved(hash: string, text: string, lineage: string | null): void;
  kept: KeptDraft | null;
  keep(k: KeptDraft | null): void;
}

export const EMPTY_DRAFT: Draft = { text: '', baseId: null, loadedText: '', origin: '', gatewayId: null };

export const usePolicyDraft = create<DraftState>((set) => ({
  draft: EMPTY_DRAFT,
  revision: 0,
  requests: NO_REQUESTS,
  request: (kind, input) => set((s) => ({ requests: { ...s.requests, [kind]: input } })),
  clearRequests: () => set({ requests: NO_REQUESTS }),
  load: (d) => set((s) => ({ draft: { ...d, loadedText: d.loadedText ?? d.text }, revision: s.revision + 1 })),
  edit: (text) => set((s) => (s.draft.text === text ? s : { draft: { ...s.draft, text } })),
  saved: (hash, text, lineage) =>
    set((s) => ({ draft: { ...s.draft, loadedText: text, baseVersion: hash, baseLineage: lineage } })),
  kept: readKept(),
  keep: (k) => {
    writeKept(k);
    set({ kept: k });
  },
}));
