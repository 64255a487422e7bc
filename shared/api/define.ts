import type { z } from 'zod';

/** One request/response method of the admin API: both sides validate with these schemas. */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** True when the call changes state (the HTTP adapter then also checks Origin). */
  mutates: boolean;
  /**
   * Whether the handler writes the local store itself (default: as `mutates`). A serving process
   * then runs it in a turn with an audit import's writer thread. False for a mutating call that
   * writes nothing there, or whose writes wait for that import anyway.
   */
  writesStore?: boolean;
  /**
   * Whether the call is an admin action that appends to the hash-chained admin log (default: as
   * `writesStore`). Only these are refused while the log cannot record (its key not loaded): a
   * rescan writes the store but records nothing, so it goes on.
   */
  recordsAction?: boolean;
  /** One-line description, shown in errors and docs. */
  summary: string;
}

export function method<I extends z.ZodType, O extends z.ZodType>(spec: MethodSpec<I, O>): MethodSpec<I, O> {
  return spec;
}
