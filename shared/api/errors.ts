import { z } from 'zod';

export const ErrorCode = z.enum([
  'bad-request',
  'unauthorized',
  'forbidden',
  'not-found',
  'conflict',
  'unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({ error: z.object({ code: ErrorCode, message: z.string() }) });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The one error type that crosses the API boundary: a code and a message safe to show. */
export class AdminError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

/**
 * A validation failure as one readable line per issue, `field.path: message` (the bare message for
 * the whole input), prefixed with the method. Used by dispatch and by both clients, so the UI never
 * shows zod's JSON issue list.
 */
export function invalidInputMessage(method: string, error: z.ZodError): string {
  const issues = error.issues
    .map((issue) => {
      const path = issue.path.map((p) => String(p)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
  return `Invalid input for ${method}: ${issues}`;
}
