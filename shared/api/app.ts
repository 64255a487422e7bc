import { z } from 'zod';
import { method } from './define.js';

export const AppInfo = z.object({
  name: z.literal('gatehouse'),
  version: z.string(),
  /** How the renderer is connected to the services. */
  mode: z.enum(['desktop', 'browser']),
  platform: z.string(),
  nodeVersion: z.string(),
  stateDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const appMethods = {
  'app.info': method({
    input: z.object({}).strict(),
    output: AppInfo,
    mutates: false,
    summary: 'Version, mode and where the local store lives.',
  }),
};

export const appEvents = {
  /** Tables or topics whose data changed; the renderer turns these into query invalidations. */
  'store.changed': z.object({ topics: z.array(z.string()) }),
};
