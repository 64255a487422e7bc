import { z } from 'zod';
import { DiscoveryRun } from '../model/discovery.js';
import { method } from './define.js';

export const discoveryMethods = {
  'discovery.run': method({
    input: z.object({}).strict(),
    output: DiscoveryRun,
    mutates: true,
    recordsAction: false,
    summary: 'Discover every MCP server configured on the workstation and record the run.',
  }),
  'discovery.latest': method({
    input: z.object({}).strict(),
    output: DiscoveryRun.nullable(),
    mutates: false,
    summary: 'The most recent stored discovery run, or null before the first.',
  }),
};

export const discoveryEvents = {
  'discovery.progress': z.object({
    phase: z.enum(['locating', 'parsing', 'storing', 'done']),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
  }),
};
