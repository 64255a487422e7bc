import type { z } from 'zod';
import { appEvents, appMethods } from './app.js';
import { auditEvents, auditMethods } from './audit.js';
import type { MethodSpec } from './define.js';
import { discoveryEvents, discoveryMethods } from './discovery.js';
import { findingsEvents, findingsMethods } from './findings.js';
import { gatewayEvents, gatewayMethods } from './gateways.js';
import { liveEvents, liveMethods } from './live.js';
import { policyEvents, policyMethods } from './policy.js';
import { identityEvents, identityMethods } from './identity.js';
import { configWriteEvents, configWriteMethods } from './config-write.js';
import { fleetEvents, fleetMethods } from './fleet.js';

/**
 * The whole admin API: one map of request/response methods and one of events. Both adapters
 * (IPC and loopback HTTP+SSE) are generated from these maps, and both validate with them.
 * Each capability contributes its own file; add it here.
 */
export const adminMethods = {
  ...appMethods,
  ...discoveryMethods,
  ...liveMethods,
  ...findingsMethods,
  ...gatewayMethods,
  ...auditMethods,
  ...policyMethods,
  ...identityMethods,
  ...configWriteMethods,
  ...fleetMethods,
} satisfies Record<string, MethodSpec>;

export const adminEvents = {
  ...appEvents,
  ...discoveryEvents,
  ...liveEvents,
  ...findingsEvents,
  ...gatewayEvents,
  ...auditEvents,
  ...policyEvents,
  ...identityEvents,
  ...configWriteEvents,
  ...fleetEvents,
} satisfies Record<string, z.ZodType>;

export type MethodName = keyof typeof adminMethods;
export type EventName = keyof typeof adminEvents;

/** Request/response map, as the caller sees it (after defaults are applied on output). */
export type AdminApi = {
  [K in MethodName]: {
    input: z.input<(typeof adminMethods)[K]['input']>;
    output: z.output<(typeof adminMethods)[K]['output']>;
  };
};
export type MethodInput<K extends MethodName> = AdminApi[K]['input'];
export type MethodOutput<K extends MethodName> = AdminApi[K]['output'];

export type AdminEvents = { [E in EventName]: z.output<(typeof adminEvents)[E]> };

export const METHOD_NAMES = Object.keys(adminMethods) as MethodName[];
export const EVENT_NAMES = Object.keys(adminEvents) as EventName[];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(adminMethods, name);
}
export function isEventName(name: string): name is EventName {
  return Object.hasOwn(adminEvents, name);
}
