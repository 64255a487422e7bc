import type { z } from 'zod';
import type { adminMethods, MethodName, MethodOutput } from '../../shared/api/contract.js';

/** A service implementation of one contract method: validated input in, plain output out. */
export type Handler<K extends MethodName> = (
  input: z.output<(typeof adminMethods)[K]['input']>,
) => Promise<MethodOutput<K>>;

/** Implementations of every contract method; adapters are generated over this map. */
export type AdminHandlers = { [K in MethodName]: Handler<K> };

/** A capability's share of the handler map. */
export type HandlerGroup<K extends MethodName> = { [P in K]: Handler<P> };
