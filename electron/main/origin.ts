/**
 * The app's own origin: the built renderer is served from `gatehouse://app/` through
 * `protocol.handle`, not from file:// (so the file-protocol fuse can be off and the page has a
 * real, narrow origin that the trusted-sender check and CSP `'self'` refer to).
 */
export const APP_SCHEME = 'gatehouse';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;
