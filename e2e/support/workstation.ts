import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The fixture workstation (test/fixtures/workstation, see its README.md), as browser specs use it:
 * folders for `gatehouse serve`, and the facts its README states — servers, the broken file and
 * every planted credential value — parsed from the README tables so the fixture stays one source.
 */
const ROOT = fileURLToPath(new URL('../../test/fixtures/workstation/', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function section(title: string): string {
  const start = README.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`fixture README has no "## ${title}" section`);
  const next = README.indexOf('\n## ', start + 3);
  return README.slice(start, next < 0 ? undefined : next);
}

/** Body rows of the first markdown table in a section, as trimmed cells. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .slice(1)
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
}

const unquote = (c: string) => c.replace(/^`|`$/g, '');

export interface FixtureServer {
  client: string;
  scope: string;
  name: string;
  transport: string;
  disabled: boolean;
}

const servers: FixtureServer[] = tableRows(section('Servers')).map(
  ([client, scope, name, transport, , , disabled]) => ({
    client: client ?? '',
    scope: scope ?? '',
    name: name ?? '',
    transport: transport ?? '',
    disabled: disabled === 'yes',
  }),
);

const secrets: string[] = tableRows(section('Planted credentials')).map((cells) => unquote(cells[1] ?? ''));

export const WORKSTATION = {
  home: join(ROOT, 'home'),
  projects: [join(ROOT, 'project')],
  systemRoot: join(ROOT, 'system'),
  platform: 'linux' as const,
  servers,
  secrets,
  /** The one malformed file (README "Broken file"). */
  broken: { path: join(ROOT, 'home', '.cursor', 'mcp.json'), line: 9 },
};
