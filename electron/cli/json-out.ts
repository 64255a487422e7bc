import type { CliIo } from './command.js';

/**
 * Writes `JSON.stringify(value, null, 2) + '\n'` in pieces: the top-level object's array members
 * element by element. The same bytes, without building the whole document as one string: the
 * 2,000-server scan's document is a ~2 MB string that V8 holds two bytes per character (masked
 * values carry `…`), copied again when `\n` was appended; that was the scan's peak RSS (issue #13).
 * Exact because JSON.stringify never writes a raw line break inside a string: indenting an
 * element's text is adding two spaces after each of its line breaks.
 */
export async function writeJson(io: CliIo, value: unknown): Promise<void> {
  const out = batched(io);
  await writeJsonTo(out, value);
  await out.flush();
}

/**
 * Pieces gathered into writes of 16 Ki characters: one write per array element was a system call
 * each. Not more: a batch is flattened into one string when written, and past V8's regular object
 * size (128 KiB: 64 Ki characters of a two-byte string, as masked values make it) each lands in
 * the large-object space, which only a full collection frees; at 64 Ki the 2,000-server scan's
 * output added ~6 MB of heap after its peak (issue #13). At 16 Ki they die young.
 */
const BATCH_CHARS = 1 << 14;

/**
 * A batch is written; when stdout is a pipe whose reader lags, the next waits until the pipe has
 * taken it (io.stdoutBacklog): else process.stdout queued the whole document in memory, ~5 MB more
 * peak RSS on the 2,000-server scan in a bench whose reader was slow (issue #13).
 */
interface Batched {
  /** A promise only when a written batch is still held by stdout. */
  stdout: (t: string) => Promise<void> | undefined;
  flush: () => Promise<void> | undefined;
}

function batched(io: CliIo): Batched {
  let pending = '';
  const write = () => {
    io.stdout(pending);
    pending = '';
    return io.stdoutBacklog?.();
  };
  return {
    stdout(t) {
      pending += t;
      return pending.length >= BATCH_CHARS ? write() : undefined;
    },
    flush: () => (pending ? write() : undefined),
  };
}

/** Awaits only when a batch is held (no promise per piece otherwise). */
async function writeJsonTo(out: Batched, value: unknown): Promise<void> {
  const put = (t: string) => out.stdout(t);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || hasToJson(value)) {
    await put(JSON.stringify(value, null, 2) + '\n');
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => isWritten(v));
  if (entries.length === 0) {
    await put('{}\n');
    return;
  }
  await put('{\n');
  for (let i = 0; i < entries.length; i++) {
    const [key, v] = entries[i]!;
    const sep = i < entries.length - 1 ? ',\n' : '\n';
    if (!Array.isArray(v) || v.length === 0 || hasToJson(v)) {
      await put(`  ${JSON.stringify(key)}: ${indent(JSON.stringify(v, null, 2))}${sep}`);
      continue;
    }
    await put(`  ${JSON.stringify(key)}: [\n`);
    for (let j = 0; j < v.length; j++) {
      const held = put(`${elementText(v[j], j)}${j < v.length - 1 ? ',\n' : '\n'}`);
      if (held) await held;
    }
    await put(`  ]${sep}`);
  }
  await put('}\n');
}

/** Whether JSON.stringify writes an object member with this value (not undefined, a function or a symbol). */
function isWritten(v: unknown): boolean {
  return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
}

function hasToJson(v: object): boolean {
  return typeof (v as { toJSON?: unknown }).toJSON === 'function';
}

function indent(text: string): string {
  return text.replaceAll('\n', '\n  ');
}

/** What JSON.stringify wrote between `{"k":[` and `]}`, for an element `[i]` (keys start after it). */
const ELEMENT_START = '{\n  "": [\n'.length;
const ELEMENT_END = '\n  ]\n}'.length;

/**
 * Element `index` of a top-level array member as JSON.stringify(…, null, 2) writes it there: four
 * spaces deeper than on its own. Stringified at that depth (inside `{"": [value]}`) rather than
 * indented afterwards: one pass over the text instead of two. A toJSON is called with the element's
 * index as its key, as JSON.stringify does (then not again on what it returned). Elements that
 * stringify to nothing (undefined, functions) are `null`, as in JSON.stringify.
 */
function elementText(item: unknown, index: number): string {
  const value = isObjectWithToJson(item) ? item.toJSON(String(index)) : item;
  if (isObjectWithToJson(value)) {
    // Its toJSON is not called again: only its own members are written (toJSON, a function, never).
    const own: Record<string, unknown> = { ...value };
    delete own.toJSON;
    const text = JSON.stringify(own, null, 2);
    return `    ${text.replaceAll('\n', '\n    ')}`;
  }
  const wrapped = JSON.stringify({ '': [value] }, null, 2);
  return wrapped.slice(ELEMENT_START, wrapped.length - ELEMENT_END);
}

function isObjectWithToJson(v: unknown): v is { toJSON: (key: string) => unknown } {
  return v !== null && typeof v === 'object' && hasToJson(v);
}
