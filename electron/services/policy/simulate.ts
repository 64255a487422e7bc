import type { SQLInputValue } from 'node:sqlite';
import type { PolicyAction, PolicyDocument, SimulationGroup, SimulationResult } from '../../../shared/model/policy.js';
import { parseTime } from '../audit/store.js';
import type { Database } from '../store/database.js';
import { cedar } from './compile/cedar.js';
import { cedarPolicySet } from './compile/toolhive-cedar.js';
import { indexPolicy, lower } from './evaluate.js';
import { policyHash } from './document.js';

/**
 * Replays recorded audit events through the live and the draft policy with Cedar (the ToolHive
 * compilation of each document, one policy set per server, preparsed once). Identical
 * (user, team, action, server, object) tuples are grouped in SQL, so a million events cost one
 * evaluation per distinct tuple. The user's teams come from each document (membership is what a
 * draft changes); the audit `tenant` is reported, not used to decide.
 */

const METHOD_ACTION: Record<string, PolicyAction> = {
  'tools/call': 'call_tool',
  'tools/list': 'list_tools',
  'prompts/get': 'get_prompt',
  'prompts/list': 'list_prompts',
  'resources/read': 'read_resource',
  'resources/list': 'list_resources',
};
const LIST_FEATURE: Partial<Record<PolicyAction, string>> = {
  list_tools: 'tool',
  list_prompts: 'prompt',
  list_resources: 'resource',
};

export interface SimulationRange {
  since?: string;
  until?: string;
}
export type SimulationProgress = (done: number, total: number) => void;

interface TupleRow {
  user_id: string;
  tenant: string | null;
  method: string;
  server: string;
  tool: string | null;
  prompt: string | null;
  resource_uri: string | null;
  n: number;
  first_id: number;
  last_id: number;
}

/** Decides tuples for one document with Cedar; policy sets are preparsed per server on first use. */
class CedarDecider {
  private readonly prepared = new Map<string, string>();
  private readonly idx;
  constructor(
    private readonly doc: PolicyDocument,
    private readonly tag: string,
  ) {
    this.idx = indexPolicy(doc);
  }
  private setFor(server: string): string {
    let id = this.prepared.get(server);
    if (id) return id;
    id = `${this.tag}:${server}`;
    const ans = cedar().preparsePolicySet(id, { staticPolicies: cedarPolicySet(this.doc, server).policies });
    if (ans.type !== 'success')
      throw new Error(`Cedar rejected the compiled policies of ${server}: ${ans.errors[0]?.message}`);
    this.prepared.set(server, id);
    return id;
  }
  decide(user: string, action: PolicyAction, server: string, object: string): { allowed: boolean; reason: string } {
    const u = lower(user);
    const type =
      action === 'call_tool'
        ? 'Tool'
        : action === 'get_prompt'
          ? 'Prompt'
          : action === 'read_resource'
            ? 'Resource'
            : 'FeatureType';
    const ans = cedar().statefulIsAuthorized({
      principal: { type: 'Client', id: u },
      action: { type: 'Action', id: action },
      resource: { type, id: type === 'FeatureType' ? (LIST_FEATURE[action] ?? '') : object },
      context: {},
      preparsedPolicySetId: this.setFor(server),
      entities: [
        {
          uid: { type: 'Client', id: u },
          attrs: {},
          parents: [...(this.idx.teamsOf.get(u) ?? [])].map((t) => ({ type: 'THVGroup', id: t })),
        },
      ],
    });
    if (ans.type !== 'success') throw new Error(`Cedar failed: ${ans.errors[0]?.message}`);
    const ids = ans.response.diagnostics.reason;
    const allowed = ans.response.decision === 'allow';
    const names = ids.map((p) =>
      p.startsWith('rule.') ? `rule ${p.slice(5, p.lastIndexOf('.'))}` : 'structural grant',
    );
    const reason = names.length
      ? `${allowed ? 'allowed by' : 'denied by'} ${[...new Set(names)].join(', ')}`
      : 'no grant and no allow rule (default deny)';
    return { allowed, reason };
  }
}

let runs = 0;

export function simulatePolicy(
  db: Database,
  draft: PolicyDocument,
  live: PolicyDocument,
  range: SimulationRange = {},
  onProgress?: SimulationProgress,
): SimulationResult {
  const t0 = performance.now();
  const where: string[] = [];
  const params: SQLInputValue[] = [];
  if (range.since) {
    where.push('ts >= ?');
    params.push(parseTime(range.since, 'since'));
  }
  if (range.until) {
    where.push('ts < ?');
    params.push(parseTime(range.until, 'until'));
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const events = (db.prepare(`SELECT COUNT(*) AS n FROM audit_events ${w}`).get(...params) as { n: number }).n;
  const methods = Object.keys(METHOD_ACTION);
  const replayable = `${w ? `${w} AND` : 'WHERE'} method IN (${methods.map(() => '?').join(', ')})
    AND user_id IS NOT NULL AND server IS NOT NULL
    AND NOT (method = 'tools/call' AND tool IS NULL) AND NOT (method = 'prompts/get' AND prompt IS NULL)
    AND NOT (method = 'resources/read' AND resource_uri IS NULL)`;
  const rows = db
    .prepare(
      `SELECT user_id, tenant, method, server, tool, prompt, resource_uri, COUNT(*) AS n, MIN(id) AS first_id, MAX(id) AS last_id
       FROM audit_events ${replayable}
       GROUP BY user_id, tenant, method, server, tool, prompt, resource_uri`,
    )
    .all(...params, ...methods) as unknown as TupleRow[];
  const run = ++runs;
  const draftDecider = new CedarDecider(draft, `draft-${run}-${policyHash(draft).slice(0, 12)}`);
  const liveDecider = new CedarDecider(live, `live-${run}-${policyHash(live).slice(0, 12)}`);
  const newlyDenied: SimulationGroup[] = [];
  const newlyAllowed: SimulationGroup[] = [];
  let unchanged = 0;
  let replayed = 0;
  // Users and objects the documents spell differently only by case are the same principal.
  rows.forEach((r, i) => {
    const action = METHOD_ACTION[r.method] as PolicyAction;
    const object = (action === 'call_tool' ? r.tool : action === 'get_prompt' ? r.prompt : r.resource_uri) ?? '';
    const a = liveDecider.decide(r.user_id, action, r.server, object);
    const b = draftDecider.decide(r.user_id, action, r.server, object);
    replayed += r.n;
    if (a.allowed === b.allowed) unchanged += r.n;
    else {
      const group: SimulationGroup = {
        user: r.user_id,
        team: r.tenant,
        server: r.server,
        tool: action === 'call_tool' || action === 'list_tools' ? r.tool : (r.prompt ?? r.resource_uri),
        action,
        count: r.n,
        sampleEventIds: [...new Set([String(r.first_id), String(r.last_id)])],
        reason: b.reason,
      };
      (b.allowed ? newlyAllowed : newlyDenied).push(group);
    }
    if (onProgress && (i % 1000 === 999 || i === rows.length - 1)) onProgress(i + 1, rows.length);
  });
  const bySize = (x: SimulationGroup, y: SimulationGroup) => y.count - x.count;
  return {
    since: range.since ?? null,
    until: range.until ?? null,
    events,
    tuples: rows.length,
    skipped: events - replayed,
    newlyDenied: newlyDenied.sort(bySize),
    newlyAllowed: newlyAllowed.sort(bySize),
    unchanged,
    engine: 'cedar',
    durationMs: performance.now() - t0,
  };
}
