/**
 * Helpers for untrusted text from MCP servers: find invisible characters, decode Unicode tag
 * characters, and make text safe to show as evidence (visible, short, long tokens masked).
 */
import { redactGeneric } from './redaction.js';

export interface InvisibleHit {
  kind: 'tag' | 'bidi' | 'zero-width' | 'ansi' | 'control';
  count: number;
}

const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/gu;
const ZERO_WIDTH = /\u200B|\u200C|\u200D|\u2060|\uFEFF|\u180E/gu;
const TAG = /[\u{E0000}-\u{E007F}]/gu;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/gu;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001A\u001C-\u001F\u007F]/gu;

const ANY_INVISIBLE =
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]|\uDB40[\uDC00-\uDC7F]/;

/** One pass: whether the text has anything invisibleHits / stripInvisible / decodeTagText would act on. */
export function hasInvisible(text: string): boolean {
  return ANY_INVISIBLE.test(text);
}

export function invisibleHits(text: string): InvisibleHit[] {
  const hits: InvisibleHit[] = [];
  if (!hasInvisible(text)) return hits;
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  const tag = count(TAG);
  if (tag) hits.push({ kind: 'tag', count: tag });
  const bidi = count(BIDI);
  if (bidi) hits.push({ kind: 'bidi', count: bidi });
  const zw = count(ZERO_WIDTH);
  if (zw) hits.push({ kind: 'zero-width', count: zw });
  const ansi = count(ANSI);
  if (ansi) hits.push({ kind: 'ansi', count: ansi });
  const ctl = count(CONTROL);
  if (ctl) hits.push({ kind: 'control', count: ctl });
  return hits;
}

/** The text hidden in Unicode tag characters (U+E0020–E007E map to ASCII). */
export function decodeTagText(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xe0020 && cp <= 0xe007e) out += String.fromCharCode(cp - 0xe0000);
  }
  return out;
}

function codepoint(ch: string): string {
  return `⟨U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** Makes invisible characters visible: tag runs decoded, others as ⟨U+XXXX⟩, ANSI as ⟨ESC…⟩. */
export function makeVisible(text: string): string {
  return text
    .replace(/[\u{E0000}-\u{E007F}]+/gu, (run) => `⟨hidden: ${decodeTagText(run)}⟩`)
    .replace(ANSI, (seq) => `⟨ESC${seq.slice(1)}⟩`)
    .replace(BIDI, codepoint)
    .replace(ZERO_WIDTH, codepoint)
    .replace(CONTROL, codepoint);
}

/** A short, visible, masked excerpt around [start, end) for evidence. */
export function excerpt(text: string, start = 0, end = Math.min(text.length, 120), context = 40): string {
  const a = Math.max(0, start - context);
  const b = Math.min(text.length, end + context);
  const body = makeVisible(text.slice(a, b)).replace(/\s+/g, ' ').trim();
  const clipped = body.length > 240 ? body.slice(0, 240) + '…' : body;
  return redactGeneric((a > 0 ? '…' : '') + clipped + (b < text.length ? '…' : ''));
}

/** The text as a model reads it: ANSI sequences, controls and invisible format characters removed. */
export function stripInvisible(text: string): string {
  return text.replace(ANSI, '').replace(BIDI, '').replace(ZERO_WIDTH, '').replace(TAG, '').replace(CONTROL, '');
}
