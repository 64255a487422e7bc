/** Just enough of `oidc-provider` 9 (ships no types) for the test identity provider. */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  /* eslint-disable @typescript-eslint/no-explicit-any */
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, any>);
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    on(event: string, listener: (...args: any[]) => void): this;
  }
}
