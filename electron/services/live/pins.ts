import type { DefinitionKind, PinChange, ServerSnapshot } from '../../../shared/model/live.js';
import type { LiveStore } from './store.js';

/**
 * Pin names of a list of tool names, in order: a name listed again gets ` (duplicate #n)`, so a
 * second definition under one name is pinned too instead of silently replacing the first. Unique
 * even when a server also uses such a suffixed name itself.
 */
export function pinNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    let pin = name;
    for (let n = 2; used.has(pin); n++) pin = `${name} (duplicate #${n})`;
    used.add(pin);
    return pin;
  });
}

/** The definitions of a snapshot by pin key, as shown in diffs (stored, possibly truncated text). */
export function definitionsOf(
  s: ServerSnapshot,
): Map<string, { kind: DefinitionKind; name: string; definition: unknown }> {
  const out = new Map<string, { kind: DefinitionKind; name: string; definition: unknown }>();
  if (s.instructions !== undefined) {
    out.set('instructions:instructions', {
      kind: 'instructions',
      name: 'instructions',
      definition: { instructions: s.instructions },
    });
  }
  const tools = pinNames(s.tools.map((t) => t.name));
  s.tools.forEach((t, i) => out.set(`tool:${tools[i]}`, { kind: 'tool', name: tools[i]!, definition: t }));
  for (const p of s.prompts) out.set(`prompt:${p.name}`, { kind: 'prompt', name: p.name, definition: p });
  for (const r of s.resources) out.set(`resource:${r.uri}`, { kind: 'resource', name: r.uri, definition: r });
  for (const r of s.resourceTemplates) {
    out.set(`resourceTemplate:${r.uriTemplate}`, { kind: 'resourceTemplate', name: r.uriTemplate, definition: r });
  }
  return out;
}

/**
 * Compares an ok snapshot with the server's pins. First sight pins everything; afterwards the
 * differences become pending changes (pins stay as they were until the admin accepts).
 * Returns the pending changes for this server after the comparison.
 */
export function comparePins(store: LiveStore, s: ServerSnapshot, now: string): PinChange[] {
  if (s.status !== 'ok') return store.pendingChanges(s.identity);
  const defs = definitionsOf(s);
  if (!store.hasPins(s.identity)) {
    for (const [key, d] of defs) {
      const hash = s.hashes[key];
      if (hash)
        store.upsertPin({
          identity: s.identity,
          kind: d.kind,
          name: d.name,
          hash,
          definition: d.definition,
          pinnedAt: now,
        });
    }
    store.replacePending(s.identity, []);
    return [];
  }
  const pins = new Map(store.pins(s.identity).map((p) => [`${p.kind}:${p.name}`, p]));
  const changes: PinChange[] = [];
  for (const [key, d] of defs) {
    const hash = s.hashes[key];
    if (!hash) continue;
    const pin = pins.get(key);
    if (!pin) {
      changes.push({
        identity: s.identity,
        serverId: s.serverId,
        kind: d.kind,
        name: d.name,
        change: 'added',
        afterHash: hash,
        after: d.definition,
        detectedAt: now,
      });
    } else if (pin.hash !== hash) {
      changes.push({
        identity: s.identity,
        serverId: s.serverId,
        kind: d.kind,
        name: d.name,
        change: 'modified',
        beforeHash: pin.hash,
        afterHash: hash,
        before: pin.definition,
        after: d.definition,
        detectedAt: now,
      });
    }
  }
  for (const [key, pin] of pins) {
    if (defs.has(key)) continue;
    changes.push({
      identity: s.identity,
      serverId: s.serverId,
      kind: pin.kind,
      name: pin.name,
      change: 'removed',
      beforeHash: pin.hash,
      before: pin.definition,
      detectedAt: now,
    });
  }
  store.replacePending(s.identity, changes);
  return store.pendingChanges(s.identity);
}

/** Accepts pending changes (all, or those named): re-pins added/modified, unpins removed. */
export function acceptChanges(
  store: LiveStore,
  identity: string,
  reason: string,
  now: string,
  only?: { kind: DefinitionKind; name: string }[],
): PinChange[] {
  const wanted = only ? new Set(only.map((o) => `${o.kind}:${o.name}`)) : undefined;
  const accepted: PinChange[] = [];
  for (const c of store.pendingChanges(identity)) {
    if (wanted && !wanted.has(`${c.kind}:${c.name}`)) continue;
    if (c.change === 'removed') store.deletePin(identity, c.kind, c.name);
    else if (c.afterHash) {
      store.upsertPin({
        identity,
        kind: c.kind,
        name: c.name,
        hash: c.afterHash,
        definition: c.after,
        pinnedAt: now,
        reason,
      });
    }
    store.markAccepted(c.id, now, reason);
    accepted.push(c);
  }
  return accepted;
}
