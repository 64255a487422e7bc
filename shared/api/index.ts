export * from './client.js';
export * from './contract.js';
export * from './define.js';
export * from './errors.js';
