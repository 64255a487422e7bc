/** A mistake in how the CLI was called: exit 2 with the message, no stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}
