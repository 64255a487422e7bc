import { adminMethods } from '../../shared/api/contract.js';

type Methods = typeof adminMethods;
type Result<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;

/**
 * Calls a handler the way the IPC and HTTP adapters do: the input parsed by the contract (defaults
 * applied, unknown fields refused) and the output checked against it, so a test sees what a client sees.
 */
export async function viaContract<H extends object, K extends keyof H & keyof Methods>(
  handlers: H,
  method: K,
  input: unknown,
): Promise<Result<H[K]>> {
  const spec = adminMethods[method];
  const out = await (handlers[method] as (i: unknown) => Promise<unknown>)(spec.input.parse(input));
  return spec.output.parse(out) as Result<H[K]>;
}
