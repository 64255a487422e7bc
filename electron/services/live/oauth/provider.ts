import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { SecretStore } from '../../ports.js';

/** What is kept per server in the secret store (one entry, JSON): never in the database. */
export interface StoredOAuth {
  tokens?: OAuthTokens;
  client?: OAuthClientInformationMixed;
  discovery?: OAuthDiscoveryState;
  /** RFC 7009 revocation endpoint of the authorization server (for sign-out). */
  revocationEndpoint?: string;
  /** When the tokens were obtained (ISO), to compute their expiry. */
  obtainedAt?: string;
}

/** Secret-store name of a server's OAuth entry (`key`: keyed hash of the server identity). */
export function oauthSecretName(key: string): string {
  return `live.oauth.${key}`;
}

export async function readStoredOAuth(secrets: SecretStore, key: string): Promise<StoredOAuth> {
  const raw = await secrets.get(oauthSecretName(key));
  if (!raw) return {};
  try {
    return JSON.parse(raw) as StoredOAuth;
  } catch {
    return {};
  }
}

/** The session needs the admin again: no refresh token, or the refresh was refused. */
export class SessionExpiredError extends Error {
  constructor(message = 'session expired: sign in again') {
    super(message);
    this.name = 'SessionExpiredError';
  }
}

/** The authorization server's metadata does not name the issuer the resource server pointed to. */
export class IssuerMismatchError extends Error {
  constructor(expected: string, got: string | undefined) {
    super(
      `wrong issuer: the authorization server's metadata names issuer ${got ?? '(none)'}, but the MCP server's protected resource metadata points to ${expected} (RFC 8414 §3.3); nothing was stored`,
    );
    this.name = 'IssuerMismatchError';
  }
}

function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      return new URL(u).href.replace(/\/$/, '');
    } catch {
      return u.replace(/\/$/, '');
    }
  };
  return norm(a) === norm(b);
}

export interface ProviderOptions {
  secrets: SecretStore;
  key: string;
  initial: StoredOAuth;
  now: () => Date;
  /** Loopback redirect of an interactive sign-in; absent when connecting (no interaction then). */
  redirectUrl?: string;
  state?: string;
  /** Interactive sign-in: receives the authorization URL. */
  onAuthorizationUrl?: (url: URL) => void;
  /**
   * Staged: nothing is written until `commit()` (a sign-in stores only once it fully succeeded).
   * Otherwise each save (a refresh during a connect) is written at once.
   */
  staged: boolean;
  /** A pre-registered client id (no dynamic registration). */
  clientId?: string;
  onSaved?: (data: StoredOAuth) => void | Promise<void>;
  /**
   * Not staged: runs each write (and its onSaved), e.g. in order with the session's sign-outs and
   * refusing once signed out, so a refresh the SDK makes on its own never writes tokens back.
   */
  guard?: (write: () => Promise<void>) => Promise<void>;
}

/**
 * The SDK's OAuthClientProvider over the secret store, per server: tokens, client information and
 * discovery state in one secret entry; the PKCE code verifier only in memory for the one sign-in.
 */
export class SecretStoreOAuthProvider implements OAuthClientProvider {
  data: StoredOAuth;
  private verifier: string | undefined;
  /** The SDK registered a client during this flow. */
  registered = false;

  get key(): string {
    return this.opts.key;
  }

  /** Reads the entry again (another connection may have refreshed the tokens). */
  async reload(): Promise<void> {
    const fresh = await readStoredOAuth(this.opts.secrets, this.opts.key);
    if (fresh.tokens) this.data = fresh;
  }

  constructor(private readonly opts: ProviderOptions) {
    this.data = structuredClone(opts.initial);
    if (opts.clientId && (!this.data.client || this.data.client.client_id !== opts.clientId)) {
      this.data.client = { client_id: opts.clientId };
    }
  }

  get redirectUrl(): string {
    // Connect-time provider: a loopback redirect is never used (redirectToAuthorization refuses).
    return this.opts.redirectUrl ?? 'http://127.0.0.1/callback';
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Gatehouse',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      // RFC 8252 native app: the loopback port may differ between sign-ins.
      application_type: 'native',
    } as OAuthClientMetadata;
  }

  state(): string {
    if (!this.opts.state) throw new SessionExpiredError();
    return this.opts.state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.data.client;
  }

  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    if (!this.data.client || this.data.client.client_id !== info.client_id) this.registered = true;
    this.data.client = info;
    await this.persist();
  }

  tokens(): OAuthTokens | undefined {
    return this.data.tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    this.data.tokens = tokens;
    this.data.obtainedAt = this.opts.now().toISOString();
    await this.persist();
  }

  redirectToAuthorization(url: URL): void {
    if (!this.opts.onAuthorizationUrl) throw new SessionExpiredError();
    this.opts.onAuthorizationUrl(url);
  }

  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error('no sign-in in progress (no PKCE code verifier)');
    return this.verifier;
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    const issuer = state.authorizationServerMetadata?.issuer;
    if (state.authorizationServerMetadata && (!issuer || !sameUrl(issuer, state.authorizationServerUrl))) {
      throw new IssuerMismatchError(state.authorizationServerUrl, issuer);
    }
    this.data.discovery = state;
    await this.persist();
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.data.discovery;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'all' || scope === 'tokens') delete this.data.tokens;
    if (scope === 'all' || scope === 'client') delete this.data.client;
    if (scope === 'all' || scope === 'discovery') delete this.data.discovery;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    await this.persist();
  }

  /** Writes the entry (the end of a successful sign-in). */
  async commit(): Promise<void> {
    await this.opts.secrets.set(oauthSecretName(this.opts.key), JSON.stringify(this.data));
    await this.opts.onSaved?.(this.data);
  }

  private async persist(): Promise<void> {
    if (this.opts.staged) return;
    await (this.opts.guard ? this.opts.guard(() => this.commit()) : this.commit());
  }
}
