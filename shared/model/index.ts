export * from './discovery.js';
export * from './finding.js';
