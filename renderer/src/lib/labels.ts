import type { ClientId, ServerEntry, SourceStatus } from '../../../shared/model/discovery.js';

/** Display names for client ids (shared/reference/client-configs.md). */
export const CLIENT_LABELS: Record<ClientId, string> = {
  'claude-desktop': 'Claude Desktop',
  'claude-code': 'Claude Code',
  cursor: 'Cursor',
  vscode: 'VS Code',
  'vscode-insiders': 'VS Code Insiders',
  windsurf: 'Windsurf',
  cline: 'Cline',
  'roo-code': 'Roo Code',
  'kilo-code': 'Kilo Code',
  continue: 'Continue',
  zed: 'Zed',
  'gemini-cli': 'Gemini CLI',
  codex: 'Codex',
  'copilot-cli': 'Copilot CLI',
  kiro: 'Kiro',
  'amazon-q': 'Amazon Q',
  'lm-studio': 'LM Studio',
  goose: 'Goose',
  opencode: 'opencode',
  junie: 'Junie',
  antigravity: 'Antigravity',
};

export function clientLabel(id: string): string {
  return (CLIENT_LABELS as Record<string, string>)[id] ?? id;
}

export const SOURCE_STATUS_LABELS: Record<SourceStatus, string> = {
  ok: 'ok',
  'parse-error': 'parse error',
  unreadable: 'unreadable',
  unsupported: 'unsupported',
};

/** What a server runs or where it connects: `command args…` or the URL (already masked by the service). */
export function serverTarget(s: Pick<ServerEntry, 'command' | 'args' | 'url'>): string {
  if (s.url) return s.url;
  if (s.command) return [s.command, ...(s.args ?? []).map(quoteArg)].join(' ');
  return '';
}

function quoteArg(a: string): string {
  return a === '' || /\s/.test(a) ? JSON.stringify(a) : a;
}

/** The last path segments, for narrow columns (full path goes in the title). */
export function shortPath(path: string, segments = 3): string {
  const parts = path.split(/[\\/]/);
  if (parts.length <= segments + 1) return path;
  return '…/' + parts.slice(-segments).join('/');
}

/** Longest folder prefix shared by every path, when at least two folders deep ('' otherwise). */
export function commonDir(paths: readonly string[]): string {
  const first = paths[0];
  if (first === undefined) return '';
  const sep = first.includes('\\') && !first.includes('/') ? '\\' : '/';
  const dirs = paths.map((p) => p.split(/[\\/]/).slice(0, -1));
  const base = dirs[0] ?? [];
  let n = 0;
  while (n < base.length && dirs.every((d) => d[n] === base[n])) n++;
  const common = base.slice(0, n);
  return common.filter(Boolean).length >= 2 ? common.join(sep) : '';
}

/** Wraps a path in left-to-right marks so `direction: rtl` ellipsis keeps its slashes in place. */
export function ltr(text: string): string {
  return `\u200e${text}\u200e`;
}
