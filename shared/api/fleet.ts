import { z } from 'zod';
import {
  FleetFilter,
  FleetFindingRow,
  FleetFingerprintRow,
  FleetMachine,
  FleetServerRow,
  FleetStatus,
  FleetTrendPoint,
} from '../model/fleet.js';
import { method } from './define.js';

/** `fleet.credentials` takes the CLI's `--min-machines` on top of the common filter. */
export const FleetCredentialsFilter = FleetFilter.extend({
  /** Seen on at least this many machines (default 2). */
  minMachines: z.number().int().min(1).max(10_000).optional(),
}).strict();

const NOT_CONFIGURED =
  ' Fails with `unavailable` when no team store is configured ($GATEHOUSE_DATABASE_URL or the stored setting).';

/**
 * Fleet view: what workstations reported to the team store (PostgreSQL), read with the same
 * filters as `gatehouse fleet machines|servers|findings|credentials|trend`. Never returns the
 * database password.
 */
export const fleetMethods = {
  'fleet.status': method({
    input: z.object({}).strict(),
    output: FleetStatus,
    mutates: false,
    summary: 'Whether a team store is configured, and its URL with the password masked.',
  }),
  'fleet.setStore': method({
    input: z.object({ url: z.string().trim().min(1).max(2000) }).strict(),
    output: FleetStatus,
    mutates: true,
    summary:
      'Connect to a team store (postgres://…): tested first, then kept in the OS secret store (never a settings file, never returned unmasked).',
  }),
  'fleet.clearStore': method({
    input: z.object({}).strict(),
    output: FleetStatus,
    mutates: true,
    summary: 'Forget the stored team store URL (this workstation goes back to its local store).',
  }),
  'fleet.machines': method({
    input: FleetFilter,
    output: z.array(FleetMachine),
    mutates: false,
    summary: 'Machines with their last report, servers and open findings by severity.' + NOT_CONFIGURED,
  }),
  'fleet.servers': method({
    input: FleetFilter,
    output: z.array(FleetServerRow),
    mutates: false,
    summary: 'Servers (name, package, version) across the fleet and how many machines run them.' + NOT_CONFIGURED,
  }),
  'fleet.findings': method({
    input: FleetFilter,
    output: z.array(FleetFindingRow),
    mutates: false,
    summary: "Open findings of each machine's latest scan." + NOT_CONFIGURED,
  }),
  'fleet.credentials': method({
    input: FleetCredentialsFilter,
    output: z.array(FleetFingerprintRow),
    mutates: false,
    summary: 'Team credential fingerprints seen on several machines (one key copied around).' + NOT_CONFIGURED,
  }),
  'fleet.trend': method({
    input: FleetFilter,
    output: z.array(FleetTrendPoint),
    mutates: false,
    summary: "Open findings per UTC day (each machine's last scan carried forward)." + NOT_CONFIGURED,
  }),
};

export const fleetEvents = {};
