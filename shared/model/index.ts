export * from './discovery.js';
export * from './finding.js';
export * from './gateway.js';
export * from './tenant.js';
export * from './audit.js';
export * from './live.js';
export * from './policy.js';
export * from './config-write.js';
