import type { AdminEvents, EventName } from '../../shared/api/contract.js';

type Listener = (event: EventName, payload: unknown) => void;

/**
 * Counter-only progress events thinned at the source (issue #13 item 3): a discovery of 3,600 files
 * reported ~7,800 steps, each serialized and written to every SSE client and IPC window. A progress
 * bar needs the percentage, so a step is published only when its phase changes, at its first and
 * last step, or when the whole percentage grows: at most ~100 per phase, and the final step
 * ("done", done = total) always arrives. Events that carry more than counters (live.progress names
 * each server's result) are not thinned.
 */
const COUNTER_PROGRESS = new Set<EventName>(['discovery.progress']);

interface Step {
  phase: string;
  done: number;
  total: number;
}

function isStep(p: unknown): p is Step {
  const s = p as Partial<Step> | null;
  return !!s && typeof s.phase === 'string' && typeof s.done === 'number' && typeof s.total === 'number';
}

const percent = (s: Step) => (s.total > 0 ? Math.floor((s.done * 100) / s.total) : 100);

/** In-process event bus: services publish, adapters (IPC, SSE) subscribe and forward. */
export class EventBus {
  private readonly listeners = new Set<Listener>();
  private readonly lastStep = new Map<EventName, Step>();

  emit<E extends EventName>(event: E, payload: AdminEvents[E]): void {
    if (COUNTER_PROGRESS.has(event) && isStep(payload) && !this.newStep(event, payload)) return;
    for (const l of this.listeners) l(event, payload);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether a counter step is worth publishing (see COUNTER_PROGRESS); records it when it is. */
  private newStep(event: EventName, s: Step): boolean {
    const last = this.lastStep.get(event);
    const publish =
      !last ||
      last.phase !== s.phase ||
      last.total !== s.total ||
      s.done === 0 ||
      s.done >= s.total ||
      s.done < last.done ||
      percent(s) > percent(last);
    if (publish) this.lastStep.set(event, { phase: s.phase, done: s.done, total: s.total });
    return publish;
  }
}
