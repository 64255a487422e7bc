import { z } from 'zod';

/** Hosts a plain http:// endpoint may use: what never leaves the machine. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why `text` cannot be the URL of an endpoint Gatehouse signs in to or sends credentials to (an
 * identity provider's issuer, a gateway), or null. Never quotes the text: a URL with a password in it
 * must not reach an error message, a log or the screen.
 */
export function endpointUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return 'must be a URL, e.g. https://idp.example.com';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be https:// (http:// only on loopback)';
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname))
    return 'must be https:// (http:// only on loopback: tokens would cross the network readable)';
  // Stored and shown as configuration, and written to the admin log: a credential there is in clear.
  if (url.username || url.password)
    return 'must not contain a user name or password (it is stored, shown and logged as configuration)';
  return null;
}

/** A trimmed endpoint URL field (see endpointUrlProblem); `field` names it in the error. */
export function endpointUrl(field: string) {
  return z
    .string()
    .trim()
    .superRefine((v, c) => {
      const problem = endpointUrlProblem(v);
      if (problem) c.addIssue({ code: 'custom', message: `The ${field} ${problem}.` });
    });
}
