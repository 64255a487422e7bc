import { createHash } from 'node:crypto';
import type { PolicyAction, PolicyDocument, SimulationGroup, SimulationResult } from '../../../shared/model/policy.js';
import type { AuditQueries } from '../audit/query-port.js';
import { mergeReplayTuples } from '../audit/replay.js';
import { cedar } from './compile/cedar.js';
import { cedarPolicySet, cedarStr } from './compile/toolhive-cedar.js';
import { indexPolicy, lower } from './evaluate.js';

/**
 * Replays recorded audit events through the live and the draft policy with Cedar (the ToolHive
 * compilation of each document, one policy set per server, preparsed once). Identical
 * (user, action, server, object) tuples are grouped in SQL (one sort, no per-event JSON), and
 * Cedar decides each request class once (see ServerSet), so a million events cost a few hundred
 * Cedar calls. The user's teams come from each document (membership is what a
 * draft changes); the audit `tenant` is not used to decide and is
 * reported as a sample (the smallest of the tuple's tenants).
 */

const METHOD_ACTION: Record<string, PolicyAction> = {
  'tools/call': 'call_tool',
  'tools/list': 'list_tools',
  'prompts/get': 'get_prompt',
  'prompts/list': 'list_prompts',
  'resources/read': 'read_resource',
  'resources/list': 'list_resources',
};
const METHODS = Object.keys(METHOD_ACTION);
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

/**
 * Prepared policy sets, keyed by content. cedar-wasm keeps a prepared set for the process lifetime
 * and has no way to free one, so ids are a bounded pool of slots: the least recently used set's slot
 * is overwritten (preparsing an existing id replaces it). Identical sets (a server the draft does not
 * change, a rerun) share one preparsed set and one decision cache.
 */
const PREPARED_SLOTS = 1024;
const prepared = new Map<string, string>(); // content hash → slot id, in least-recently-used order
let nextSlot = 0;

function preparedId(policies: Record<string, string>, hash: string, server: string): string {
  const hit = prepared.get(hash);
  if (hit) {
    prepared.delete(hash);
    prepared.set(hash, hit);
    return hit;
  }
  let slot: string;
  if (prepared.size < PREPARED_SLOTS) slot = `gatehouse-simulate-${nextSlot++}`;
  else {
    const [oldest, id] = prepared.entries().next().value as [string, string];
    prepared.delete(oldest);
    slot = id;
  }
  const ans = cedar().preparsePolicySet(slot, { staticPolicies: policies });
  if (ans.type !== 'success')
    throw new Error(`Cedar rejected the compiled policies of ${server}: ${ans.errors[0]?.message}`);
  prepared.set(hash, slot);
  return slot;
}

/** Entity literals (`Type::"id"`, as written) → ids of the policies naming them. */
function literalMentions(policies: Record<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const re = /\b([A-Za-z_]\w*)::("(?:[^"\\]|\\.)*")/g;
  for (const [id, text] of Object.entries(policies)) {
    for (const m of text.matchAll(re)) {
      const lit = `${m[1]}::${m[2]}`;
      const l = out.get(lit);
      if (!l) out.set(lit, [id]);
      else if (l[l.length - 1] !== id) l.push(id);
    }
  }
  return out;
}

/**
 * One server's compiled policy set with its decisions so far. Requests Cedar cannot tell apart
 * share one decision: a principal or resource id enters a Cedar policy only as an entity literal
 * (an id has no attributes here and cannot be inspected as a string), so two requests with the same
 * action whose principals are named by the same policies and belong to the same named groups, and
 * whose resources of one type are named by the same policies, decide alike, with the same reasons.
 */
class ServerSet {
  readonly id: string;
  private readonly mentions: Map<string, string[]>;
  private readonly decisions = new Map<string, Verdict>();
  constructor(policies: Record<string, string>, hash: string, server: string) {
    this.id = preparedId(policies, hash, server);
    this.mentions = literalMentions(policies);
  }
  private named(type: string, id: string): string {
    return (this.mentions.get(`${type}::${cedarStr(id)}`) ?? []).join(',');
  }
  private readonly objectClass = new Map<string, string>();
  /** The principal's part of a request class (its teams come from the document deciding). */
  principalClass(user: string, teams: Iterable<string>): string {
    const groups = [...teams].filter((t) => this.mentions.has(`THVGroup::${cedarStr(t)}`)).sort();
    return `${this.named('Client', user)}${SEP}${JSON.stringify(groups)}`;
  }
  /** The resource's part of a request class. */
  resourceClass(type: string, object: string): string {
    const ok = `${type}${SEP}${object}`;
    let what = this.objectClass.get(ok);
    if (what === undefined) this.objectClass.set(ok, (what = `${type}${SEP}${this.named(type, object)}`));
    return what;
  }
  cached(key: string): Verdict | undefined {
    return this.decisions.get(key);
  }
  remember(key: string, v: Verdict): void {
    this.decisions.set(key, v);
  }
}

interface Verdict {
  allowed: boolean;
  reason: string;
}
const SEP = '\u0000';

/** Server sets by content hash, shared by the live and the draft decider of one simulation. */
type SetCache = Map<string, ServerSet>;

/** Decides tuples for one document with Cedar; a server's policy set is compiled and preparsed on first use. */
class CedarDecider {
  private readonly sets = new Map<string, { set: ServerSet; who: Map<string, string> }>();
  private readonly idx;
  /** Cedar calls made (the rest were answered from a request class already decided). */
  calls = 0;
  constructor(
    private readonly doc: PolicyDocument,
    private readonly shared: SetCache,
    private readonly useClasses: boolean,
  ) {
    this.idx = indexPolicy(doc);
  }
  /** Per server: its set and each user's principal class in it. */
  private setFor(server: string): { set: ServerSet; who: Map<string, string> } {
    let s = this.sets.get(server);
    if (s) return s;
    const policies = cedarPolicySet(this.doc, server).policies;
    const hash = createHash('sha256').update(JSON.stringify(policies)).digest('base64url');
    let set = this.shared.get(hash);
    if (!set) this.shared.set(hash, (set = new ServerSet(policies, hash, server)));
    s = { set, who: new Map() };
    this.sets.set(server, s);
    return s;
  }
  decide(user: string, action: PolicyAction, server: string, object: string): Verdict {
    const u = lower(user);
    const type =
      action === 'call_tool'
        ? 'Tool'
        : action === 'get_prompt'
          ? 'Prompt'
          : action === 'read_resource'
            ? 'Resource'
            : 'FeatureType';
    const resource = type === 'FeatureType' ? (LIST_FEATURE[action] ?? '') : object;
    const teams = this.idx.teamsOf.get(u) ?? new Set<string>();
    const { set, who } = this.setFor(server);
    let key: string | undefined;
    if (this.useClasses) {
      let principal = who.get(u);
      if (principal === undefined) who.set(u, (principal = set.principalClass(u, teams)));
      key = `${action}${SEP}${principal}${SEP}${set.resourceClass(type, resource)}`;
    }
    const hit = key === undefined ? undefined : set.cached(key);
    if (hit) return hit;
    this.calls++;
    const ans = cedar().statefulIsAuthorized({
      principal: { type: 'Client', id: u },
      action: { type: 'Action', id: action },
      resource: { type, id: resource },
      context: {},
      preparsedPolicySetId: set.id,
      entities: [
        {
          uid: { type: 'Client', id: u },
          attrs: {},
          parents: [...teams].map((t) => ({ type: 'THVGroup', id: t })),
        },
      ],
    });
    if (ans.type !== 'success') throw new Error(`Cedar failed: ${ans.errors[0]?.message}`);
    // Cedar reports the deciding policies as a set in no fixed order: sorted, the reason is stable.
    const ids = ans.response.diagnostics.reason;
    const allowed = ans.response.decision === 'allow';
    const names = ids.map((p) =>
      p.startsWith('rule.') ? `rule ${p.slice(5, p.lastIndexOf('.'))}` : 'structural grant',
    );
    const reason = names.length
      ? `${allowed ? 'allowed by' : 'denied by'} ${[...new Set(names)].sort().join(', ')}`
      : 'no grant and no allow rule (default deny)';
    const v = { allowed, reason };
    if (key !== undefined) set.remember(key, v);
    return v;
  }
}

export interface SimulationOptions {
  /**
   * Decide each request class once (default true). `false` calls Cedar for every distinct tuple:
   * the reference the tests compare the class cache against.
   */
  classes?: boolean;
}

/** Longest (ms) the decisions hold the event loop before yielding (a simulation never blocks serving). */
const DECIDE_SLICE_MS = 15;

export async function simulatePolicy(
  queries: AuditQueries,
  draft: PolicyDocument,
  live: PolicyDocument,
  range: SimulationRange = {},
  onProgress?: SimulationProgress,
  opts: SimulationOptions = {},
): Promise<SimulationResult> {
  const t0 = performance.now();
  // An empty bound is no bound (as before the grouping moved to the query workers).
  const window = { since: range.since || undefined, until: range.until || undefined };
  // Grouping a million events is a sort of them all: cut into parts, one per query worker, that sort
  // at the same time (replay.ts merges them into what one grouping would give).
  const { events, slices } = await queries.run('replayPlan', window, queries.parallelism);
  const rows = mergeReplayTuples(await Promise.all(slices.map((s) => queries.run('replayTuples', s, METHODS))));
  const shared: SetCache = new Map();
  const classes = opts.classes ?? true;
  const draftDecider = new CedarDecider(draft, shared, classes);
  const liveDecider = new CedarDecider(live, shared, classes);
  const newlyDenied: SimulationGroup[] = [];
  const newlyAllowed: SimulationGroup[] = [];
  let unchanged = 0;
  let replayed = 0;
  // Users and objects the documents spell differently only by case are the same principal.
  let sliceStart = performance.now();
  for (const [i, r] of rows.entries()) {
    if (performance.now() - sliceStart > DECIDE_SLICE_MS) {
      await new Promise((res) => setImmediate(res));
      sliceStart = performance.now();
    }
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
  }
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
