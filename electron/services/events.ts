import type { AdminEvents, EventName } from '../../shared/api/contract.js';

type Listener = (event: EventName, payload: unknown) => void;

/** In-process event bus: services publish, adapters (IPC, SSE) subscribe and forward. */
export class EventBus {
  private readonly listeners = new Set<Listener>();

  emit<E extends EventName>(event: E, payload: AdminEvents[E]): void {
    for (const l of this.listeners) l(event, payload);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
