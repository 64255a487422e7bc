import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import Provider from 'oidc-provider';

/**
 * A real OpenID Provider (`oidc-provider`) on 127.0.0.1 for tests: users with groups, a native
 * public client (PKCE, loopback redirect on any port per RFC 8252), refresh tokens (offline_access),
 * the device authorization grant, revocation, introspection, optional short access-token TTL, JWT
 * access tokens for a resource indicator (what ContextForge accepts as API credentials), and
 * optionally TLS with a CA and server certificate generated here with the `openssl` CLI.
 *
 * `interact()` drives the IdP's own login and consent pages over HTTP, as a browser would, so tests
 * and the CLI test complete a sign-in without a browser.
 */

export interface IdpUser {
  email: string;
  name: string;
  groups: string[];
}

export const IDP_USERS: Record<string, IdpUser> = {
  alice: { email: 'alice@example.com', name: 'Alice Admin', groups: ['gatehouse-admins', 'security'] },
  bob: { email: 'bob@example.com', name: 'Bob Builder', groups: ['developers'] },
  carol: { email: 'carol@example.com', name: 'Carol Auditor', groups: ['auditors', 'security'] },
  // No account in the seeded gateway: ContextForge creates them at their first SSO sign-in.
  dave: { email: 'dave@example.com', name: 'Dave Devops', groups: ['developers'] },
  erin: { email: 'erin@example.com', name: 'Erin Engineer', groups: ['developers'] },
};

export const NATIVE_CLIENT_ID = 'gatehouse-native';
export const INTROSPECTOR = { id: 'introspector', secret: 'introspector-secret-for-tests-only-0123456789' };

export interface IdpOptions {
  tls?: boolean;
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Extra clients (e.g. a confidential client for the gateway). */
  clients?: Record<string, unknown>[];
  /** Resource indicators that get RFC 9068 JWT access tokens (audience = the indicator). */
  jwtResources?: string[];
  /** Fixed port (default: a free one). */
  port?: number;
}

export interface TestIdp {
  issuer: string;
  port: number;
  /** The CA that signed the server certificate (TLS only). */
  caFile?: string;
  caPem?: string;
  provider: Provider;
  stop(): Promise<void>;
  /**
   * Follows an authorization (or device verification) URL through the IdP's login and consent
   * pages as `user`, and returns the final redirect that leaves the IdP (the client's callback URL,
   * not fetched), or the last IdP URL for the device flow.
   */
  interact(url: string, user: string, opts?: { stopAt?: (u: URL) => boolean }): Promise<string>;
  /** RFC 7662 introspection (as a confidential resource server). */
  introspect(token: string): Promise<{ active: boolean; [k: string]: unknown }>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A throw-away CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI. */
export function makeTestPki(): { dir: string; caFile: string; caPem: string; key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gh-idp-pki-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=Gatehouse test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'],
    dir,
  );
  writeFileSync(
    join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ],
    dir,
  );
  const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caPem,
    key: readFileSync(join(dir, 'server.key'), 'utf8'),
    cert: readFileSync(join(dir, 'server.pem'), 'utf8'),
  };
}

/** Makes this process's fetch (and https) trust the test CA, in addition to the default roots. */
export function trustCaInProcess(caPem: string): void {
  const current = tls.getCACertificates('default');
  if (!current.includes(caPem)) tls.setDefaultCACertificates([...current, caPem]);
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function startIdp(opts: IdpOptions = {}): Promise<TestIdp> {
  const pki = opts.tls ? makeTestPki() : undefined;
  // The issuer must be known before the provider is built: reserve the port first.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, r) => {
    r.statusCode = 503;
    r.end();
  };
  const server: Server = pki
    ? (createHttpsServer({ key: pki.key, cert: pki.cert }, (q, r) => handler(q, r)) as unknown as Server)
    : createHttpServer((q, r) => handler(q, r));
  const port = await listen(server, opts.port ?? 0);
  const issuer = `${pki ? 'https' : 'http'}://127.0.0.1:${port}`;
  const jwtResources = new Set(opts.jwtResources ?? []);
  const ttl = opts.accessTokenTtl ?? 3600;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: NATIVE_CLIENT_ID,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
      },
      {
        client_id: INTROSPECTOR.id,
        client_secret: INTROSPECTOR.secret,
        redirect_uris: [],
        grant_types: [],
        response_types: [],
      },
      ...((opts.clients ?? []) as never[]),
    ],
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    async findAccount(_ctx: unknown, id: string) {
      const u = IDP_USERS[id];
      if (!u) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: u.email, email_verified: true, name: u.name, groups: u.groups };
        },
      };
    },
    // Put the scope's claims (email, groups) in the ID token, as enterprise IdPs usually do.
    conformIdTokenClaims: false,
    cookies: { keys: ['gatehouse-test-idp-cookie-key'] },
    ttl: {
      AccessToken: ttl,
      IdToken: 3600,
      RefreshToken: 86400,
      DeviceCode: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 86400,
    },
    issueRefreshToken: async (
      _ctx: unknown,
      client: { grantTypeAllowed(g: string): boolean },
      code: { scopes: Set<string> },
    ) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!jwtResources.has(resource)) throw new Error(`unknown resource ${resource}`);
          return {
            scope: 'openid email profile groups offline_access',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ttl,
          };
        },
      },
    },
    // RFC 9068 access tokens carry who the user is, so a resource server (the gateway) can map them.
    async extraTokenClaims(_ctx: unknown, token: { kind: string }) {
      if (token.kind !== 'AccessToken') return undefined;
      const u = IDP_USERS[(token as { accountId?: string }).accountId ?? ''];
      return u ? { email: u.email, email_verified: true, name: u.name, groups: u.groups } : undefined;
    },
  });
  provider.on('server_error', (_ctx: unknown, err: unknown) =>
    process.stderr.write(`test IdP server_error: ${String(err)}\n`),
  );
  const callback = provider.callback();
  handler = (q, r) => void callback(q, r);

  const caOpts = pki ? { caFile: pki.caFile, caPem: pki.caPem } : {};
  return {
    issuer,
    port,
    ...caOpts,
    provider,
    async stop() {
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
      if (pki) rmSync(pki.dir, { recursive: true, force: true });
    },
    interact: (url, user, o) => interact(issuer, url, user, o?.stopAt),
    async introspect(token) {
      const res = await fetch(`${issuer}/token/introspection`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${INTROSPECTOR.id}:${INTROSPECTOR.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token }).toString(),
      });
      return (await res.json()) as { active: boolean };
    },
  };
}

/** The first HTML form of a page: action, method and its named inputs' values. */
function firstForm(html: string): { action: string; method: string; fields: Record<string, string> } | undefined {
  const m = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!m) return undefined;
  const attr = (s: string, n: string) => new RegExp(`${n}="([^"]*)"`, 'i').exec(s)?.[1];
  const fields: Record<string, string> = {};
  for (const i of m[2]!.matchAll(/<input\b([^>]*)>/gi)) {
    const name = attr(i[1]!, 'name');
    if (name) fields[name] = (attr(i[1]!, 'value') ?? '').replace(/&amp;/g, '&');
  }
  return {
    action: (attr(m[1]!, 'action') ?? '').replace(/&amp;/g, '&'),
    method: attr(m[1]!, 'method') ?? 'get',
    fields,
  };
}

async function interact(issuer: string, start: string, user: string, stopAt?: (u: URL) => boolean): Promise<string> {
  const jar = new Map<string, string>();
  const origin = new URL(issuer).origin;
  let url = new URL(start);
  let method = 'GET';
  let body: string | undefined;
  for (let step = 0; step < 30; step++) {
    if (url.origin !== origin || stopAt?.(url)) return url.toString();
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const eq = kv!.indexOf('=');
      jar.set(kv!.slice(0, eq), kv!.slice(eq + 1));
    }
    const loc = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && loc) {
      url = new URL(loc, url);
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await res.text();
    const form = firstForm(html);
    if (!form) return url.toString(); // a final page (e.g. device flow "success")
    const fields = { ...form.fields };
    if ('login' in fields) {
      fields.login = user;
      fields.password = 'any';
    }
    if ('user_code' in fields && !fields.user_code) throw new Error('device flow: no user code on the page');
    delete fields.abort;
    url = new URL(form.action || url.toString(), url);
    method = form.method.toUpperCase();
    body = new URLSearchParams(fields).toString();
  }
  throw new Error(`IdP interaction did not finish (last at ${url.toString()})`);
}
