import type { FindingDraft, StaticRule } from '../types.js';
import { commandWords, exeName, serverDraft, type Word } from './common.js';
import { lineOf } from './lines.js';

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'ash', 'busybox']);
const POWERSHELL = new Set(['powershell', 'pwsh']);
/** Interpreters and the flags that take an inline program. */
const INTERPRETERS: Record<string, Set<string>> = {
  node: new Set(['-e', '--eval', '-p', '--print']),
  deno: new Set(['eval']),
  bun: new Set(['-e', '--eval', '-p', '--print']),
  python: new Set(['-c']),
  python3: new Set(['-c']),
  py: new Set(['-c']),
  ruby: new Set(['-e']),
  perl: new Set(['-e', '-E']),
  php: new Set(['-r']),
  osascript: new Set(['-e']),
};
const DOWNLOADER = /\b(?:curl|wget|iwr|invoke-webrequest|irm|invoke-restmethod)\b/i;
const SHELL_AFTER_PIPE = /^\s*(?:sudo\s+)?(?:sh|bash|zsh|dash|iex|invoke-expression|python3?|node)\b/i;

/**
 * `curl … | sh`, `wget -O- … | bash`, `iwr … | iex`: a downloader in the pipeline stage right before
 * a shell. Checked stage by stage: the single regex `\b(?:curl|…)\b[^|]*\|…` restarted its `[^|]*`
 * scan at every `curl` of a pipe-less script (quadratic: 2 s on 80 KB).
 */
export function pipesDownloadToShell(text: string): boolean {
  if (!text.includes('|')) return false;
  const stages = text.split('|');
  for (let i = 0; i + 1 < stages.length; i++) {
    if (DOWNLOADER.test(stages[i] ?? '') && SHELL_AFTER_PIPE.test(stages[i + 1] ?? '')) return true;
  }
  return false;
}

interface InlineScript {
  how: string;
  script: Word;
}

/** The inline script a command line runs, if it runs one. */
export function inlineScript(words: Word[]): InlineScript | undefined {
  if (words.length === 0) return undefined;
  const exe = exeName(words[0]!.value);
  const rest = words.slice(1);
  // `env A=B sh -c …`, `/usr/bin/env bash -c …`
  if (exe === 'env' || exe === 'sudo' || exe === 'nohup' || exe === 'exec') {
    const i = rest.findIndex((w) => !w.value.startsWith('-') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.value));
    return i >= 0 ? inlineScript(rest.slice(i)) : undefined;
  }
  if (SHELLS.has(exe)) {
    const i = rest.findIndex((w) => /^-[A-Za-z]*c[A-Za-z]*$/.test(w.value));
    if (i >= 0 && rest[i + 1]) return { how: `${exe} ${rest[i]!.value}`, script: rest[i + 1]! };
  }
  if (exe === 'cmd') {
    const i = rest.findIndex((w) => /^\/[ck]$/i.test(w.value));
    if (i >= 0 && rest[i + 1]) return { how: `cmd ${rest[i]!.value}`, script: rest[i + 1]! };
  }
  if (POWERSHELL.has(exe)) {
    const i = rest.findIndex((w) => /^-(?:c|command|encodedcommand|enc|e|ec)$/i.test(w.value));
    if (i >= 0 && rest[i + 1]) return { how: `${exe} ${rest[i]!.value}`, script: rest[i + 1]! };
  }
  const flags = INTERPRETERS[exe] ?? (/^python3?\.\d+$/.test(exe) ? INTERPRETERS.python : undefined);
  if (flags) {
    const i = rest.findIndex((w) => flags.has(w.value));
    if (i >= 0 && rest[i + 1]) return { how: `${exe} ${rest[i]!.value}`, script: rest[i + 1]! };
  }
  // Any word that pipes a download into a shell.
  const piped = words.find((w) => pipesDownloadToShell(w.value));
  if (piped) return { how: 'download piped into a shell', script: piped };
  return undefined;
}

/** A shell or interpreter started with an inline script. */
export const commandInlineShell: StaticRule = {
  id: 'command.inline-shell',
  run(ctx) {
    const out: FindingDraft[] = [];
    for (const s of ctx.scan.servers) {
      const found = inlineScript(commandWords(s));
      if (!found) continue;
      const piped = pipesDownloadToShell(found.script.value);
      out.push(
        serverDraft(
          'command.inline-shell',
          s,
          found.script.pointer,
          lineOf(ctx, s.entry.source, found.script.pointer),
          {
            severity: piped ? 'high' : 'medium',
            message: `Server "${s.entry.name}" is started through ${found.how} with an inline script of ${found.script.value.length} characters${piped ? ' that downloads code and pipes it into a shell' : ''}.`,
            // The script itself is not shown: it may carry credentials.
            evidence: `${found.how} <script, ${found.script.value.length} chars>`,
            remediation:
              'Run the server executable directly (command + args, no shell), with a pinned, reviewed version installed beforehand; put variables in env instead of composing them in a script.',
          },
        ),
      );
    }
    return out;
  },
};
