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
  /** Whether `app.reveal` can open the OS file manager (desktop only). */
  canReveal: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const appMethods = {
  'app.info': method({
    input: z.object({}).strict(),
    output: AppInfo,
    mutates: false,
    summary: 'Version, mode and where the local store lives.',
  }),
  'app.reveal': method({
    input: z.object({ path: z.string().min(1) }).strict(),
    output: z.object({ revealed: z.literal(true) }),
    mutates: true,
    // Opens the OS file manager; reads the latest discovery run only.
    writesStore: false,
    summary:
      'Desktop only: show a configuration file of the latest discovery run in the OS file manager (any other path is refused; unavailable in browser mode).',
  }),
};

export const appEvents = {
  /** Tables or topics whose data changed; the renderer turns these into query invalidations. */
  'store.changed': z.object({ topics: z.array(z.string()) }),
};
