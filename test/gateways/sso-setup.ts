import { readFileSync } from 'node:fs';
import { startIdp, type TestIdp } from '../support/idp.js';
import { startSeededGateway, type LiveGateway } from './support.js';

/** The gateway's own OIDC client at the test IdP. */
export const SSO_GW_CLIENT = { id: 'contextforge', secret: 'contextforge-client-secret-for-tests-0123456789' };
/** The provider id the gateway's SSO is registered under (its findings name it). */
export const SSO_PROVIDER = 'testidp';

export interface SsoGateway {
  /** oidc-provider over TLS with a CA made for the test (`caFile`/`caPem`). */
  idp: TestIdp;
  gw: LiveGateway;
  /** The seeded gateway's admin token (a static bearer). */
  adminToken: string;
  /** Stops the gateway, then the IdP. */
  stop(): Promise<void>;
}

/**
 * A real ContextForge with single sign-on: a TLS IdP whose CA the gateway's Python trusts
 * (SSL_CERT_FILE), the gateway started with SSO on, and the IdP registered as its generic OIDC
 * provider. What is started is stopped again when a later step fails.
 */
export async function startSsoGateway(): Promise<SsoGateway> {
  const idp = await startIdp({
    tls: true,
    clients: [
      {
        client_id: SSO_GW_CLIENT.id,
        client_secret: SSO_GW_CLIENT.secret,
        // the gateway redirects to whatever loopback port Gatehouse listens on (RFC 8252 ports)
        application_type: 'native',
        token_endpoint_auth_method: 'client_secret_post',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
  });
  let gw: LiveGateway | undefined;
  try {
    gw = await startSeededGateway({
      env: {
        SSO_ENABLED: 'true',
        SSO_AUTO_CREATE_USERS: 'true',
        SSL_CERT_FILE: idp.caFile!,
        // lets the gateway's login accept Gatehouse's loopback redirect (any port on 127.0.0.1)
        APP_DOMAIN: 'http://127.0.0.1',
      },
    });
    const adminToken = (JSON.parse(readFileSync(gw.stateFile, 'utf8')) as { adminToken: string }).adminToken;
    const res = await fetch(`${gw.baseUrl}/v1/auth/sso/admin/providers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: SSO_PROVIDER,
        name: SSO_PROVIDER,
        display_name: 'Test IdP',
        provider_type: 'oidc',
        client_id: SSO_GW_CLIENT.id,
        client_secret: SSO_GW_CLIENT.secret,
        authorization_url: `${idp.issuer}/auth`,
        token_url: `${idp.issuer}/token`,
        userinfo_url: `${idp.issuer}/me`,
        issuer: idp.issuer,
        jwks_uri: `${idp.issuer}/jwks`,
        scope: 'openid profile email',
        auto_create_users: true,
        trusted_domains: [],
      }),
    });
    if (res.status !== 200)
      throw new Error(`registering the SSO provider at ${gw.baseUrl}: HTTP ${res.status} ${await res.text()}`);
    const started = gw;
    return {
      idp,
      gw: started,
      adminToken,
      stop: async () => {
        await started.stop();
        await idp.stop();
      },
    };
  } catch (err) {
    await gw?.stop();
    await idp.stop();
    throw err;
  }
}
