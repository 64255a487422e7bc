import type { z } from 'zod';

/** One request/response method of the admin API: both sides validate with these schemas. */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** True when the call changes state (the HTTP adapter then also checks Origin). */
  mutates: boolean;
  /** One-line description, shown in errors and docs. */
  summary: string;
}

export function method<I extends z.ZodType, O extends z.ZodType>(spec: MethodSpec<I, O>): MethodSpec<I, O> {
  return spec;
}
