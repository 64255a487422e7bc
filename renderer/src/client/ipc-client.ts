import type { AdminClient, PreloadBridge } from '../../../shared/api/client.js';
import {
  adminEvents,
  adminMethods,
  type AdminEvents,
  type EventName,
  type MethodInput,
  type MethodName,
  type MethodOutput,
} from '../../../shared/api/contract.js';
import { AdminError, ErrorCode, invalidInputMessage } from '../../../shared/api/errors.js';

/**
 * AdminClient over the Electron preload bridge (`window.gatehouse`), desktop mode.
 * Follows the wire protocol documented in `electron/ipc/register.ts`: every invoke resolves with
 * `{ ok: true, output }` or `{ ok: false, error: { code, message } }`; this client turns the
 * latter into an `AdminError`. Inputs, outputs and event payloads are validated with the contract.
 */
export function createIpcClient(bridge: PreloadBridge): AdminClient {
  return {
    async invoke<K extends MethodName>(method: K, input: MethodInput<K>): Promise<MethodOutput<K>> {
      const spec = adminMethods[method];
      const parsedInput = spec.input.safeParse(input ?? {});
      if (!parsedInput.success) throw new AdminError('bad-request', invalidInputMessage(method, parsedInput.error));
      let envelope: unknown;
      try {
        envelope = await bridge.invoke(method, parsedInput.data);
      } catch (err) {
        throw new AdminError(
          'unavailable',
          `Gatehouse did not answer (${err instanceof Error ? err.message : String(err)})`,
        );
      }
      if (!isRecord(envelope)) throw new AdminError('internal', `${method}: malformed reply`);
      if (envelope.ok === true) {
        const out = spec.output.safeParse(envelope.output);
        if (!out.success) throw new AdminError('internal', `${method}: the response does not match the contract`);
        return out.data as MethodOutput<K>;
      }
      const error = isRecord(envelope.error) ? envelope.error : {};
      const code = ErrorCode.safeParse(error.code);
      throw new AdminError(
        code.success ? code.data : 'internal',
        typeof error.message === 'string' ? error.message : `${method} failed`,
      );
    },

    subscribe<E extends EventName>(event: E, listener: (payload: AdminEvents[E]) => void): () => void {
      const schema = adminEvents[event];
      return bridge.subscribe(event, (payload) => {
        const parsed = schema.safeParse(payload);
        if (parsed.success) listener(parsed.data as AdminEvents[E]);
      });
    },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
