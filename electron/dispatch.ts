import type { z } from 'zod';
import { adminMethods, isMethodName } from '../shared/api/contract.js';
import { AdminError, invalidInputMessage, type ErrorBody, type ErrorCode } from '../shared/api/errors.js';
import type { AdminHandlers } from './services/handlers.js';
import { redactText } from './services/secrets/redact.js';

/**
 * Transport-neutral dispatch of one contract call.
 *
 * Both adapters (IPC and loopback HTTP) go through here, so they validate and fail the same way:
 * the input is parsed with the method's zod schema (bad-request naming the field), the handler
 * runs, its output is parsed with the output schema (internal when the service broke the
 * contract), `AdminError`s keep their code and message, and anything else becomes a generic
 * internal error whose detail is only logged, with token-like strings masked.
 */

export type DispatchResult = { ok: true; output: unknown } | ({ ok: false } & ErrorBody);

export type Log = (line: string) => void;

export const defaultLog: Log = (line) => process.stderr.write(`${line}\n`);

/** HTTP status for each error code (IPC carries the code itself). */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** One line per issue: `field.path: message` (or the bare message for the whole input). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((p) => String(p)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** Masks credentials in a log line: the shared redactText (token shapes, auth schemes, secret pairs, URLs, entropy). */
export function redact(text: string): string {
  return redactText(text);
}

function describeUnexpected(err: unknown): string {
  if (err instanceof Error) {
    const frames = (err.stack ?? '').split('\n').slice(1, 6).join('\n');
    return redact(`${err.name}: ${err.message}`) + (frames ? `\n${frames}` : '');
  }
  return redact(`non-Error thrown: ${typeof err}`);
}

export async function dispatch(
  handlers: AdminHandlers,
  name: string,
  rawInput: unknown,
  log: Log = defaultLog,
): Promise<DispatchResult> {
  if (!isMethodName(name)) return { ok: false, ...errorBody('not-found', `Unknown method "${name}".`) };
  const spec = adminMethods[name];
  const input = spec.input.safeParse(rawInput);
  if (!input.success) {
    return { ok: false, ...errorBody('bad-request', invalidInputMessage(name, input.error)) };
  }
  let output: unknown;
  try {
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    output = await handler(input.data);
  } catch (err) {
    if (err instanceof AdminError) return { ok: false, ...errorBody(err.code, err.message) };
    log(`gatehouse: ${name} failed: ${describeUnexpected(err)}`);
    return { ok: false, ...errorBody('internal', `${name} failed unexpectedly; see the Gatehouse log.`) };
  }
  const checked = spec.output.safeParse(output);
  if (!checked.success) {
    log(`gatehouse: ${name} returned output that breaks the contract: ${redact(describeIssues(checked.error))}`);
    return { ok: false, ...errorBody('internal', `${name} returned an invalid result.`) };
  }
  return { ok: true, output: checked.data };
}
