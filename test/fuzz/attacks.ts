/**
 * The attack shapes of issue #12 (items 1, 2 and 9): small crafted config files that used to crash,
 * freeze or exhaust the memory of discovery and scan. Shared by the regression tests, the fuzzer
 * (as seeds) and the benchmarks. Each returns the file text for the client path it targets.
 */

/** JSON nested `depth` deep inside a server entry (~2 bytes per level). */
export function deepJson(depth = 2000): string {
  return `{"mcpServers":{"deep":{"command":"node","args":${'['.repeat(depth)}${']'.repeat(depth)}},"ok":{"command":"uvx"}}}`;
}

/** A server whose URL is longer than 64 KiB. */
export function longUrl(length = 70_000): string {
  return JSON.stringify({
    mcpServers: {
      long: { url: `https://mcp.example.com/sse?q=${'a'.repeat(length)}` },
      ok: { command: 'uvx', args: ['mcp-server-fetch'] },
    },
  });
}

/** A server whose `command` is a whole command line of `tokens` words. */
export function hugeCommandLine(tokens = 130_000): string {
  return JSON.stringify({
    mcpServers: { huge: { command: `node ${'a '.repeat(tokens)}` }, ok: { command: 'uvx' } },
  });
}

/** A codex TOML table header with `parts` dotted keys. */
export function dottedTomlHeader(parts = 5000): string {
  return `[mcp_servers.${Array.from({ length: parts - 1 }, () => 'a').join('.')}]\ncommand = "x"\n\n[mcp_servers.ok]\ncommand = "uvx"\n`;
}

/** A YAML "billion laughs": each level aliases the previous one nine times (439 bytes at 9 levels). */
export function yamlAliasBomb(levels = 9): string {
  const names = 'abcdefghijklmnopqrstuvwxyz';
  const lines = [`${names[0]}: &${names[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  for (let i = 1; i < levels; i++) {
    const prev = names[i - 1];
    lines.push(`${names[i]}: &${names[i]} [${Array.from({ length: 9 }, () => `*${prev}`).join(',')}]`);
  }
  return `${lines.join('\n')}\nextensions:\n  ok:\n    cmd: uvx\n    type: stdio\n`;
}

/** A goose config whose servers each merge (`<<`) an anchored entry: `count` merge keys. */
export function yamlMergeKeys(count = 5000): string {
  const out = ['base: &base {cmd: npx, args: [-y, pkg], envs: {A: b, C: d}, type: stdio}', 'extensions:'];
  for (let i = 0; i < count; i++) out.push(`  s${i}: {<<: *base, name: s${i}}`);
  return out.join('\n') + '\n';
}

/** One map holding `count` merge keys of the same anchor. */
export function yamlManyMergesOneMap(count = 5000): string {
  const out = ['base: &base {cmd: npx, args: [-y, pkg], envs: {A: b, C: d}, type: stdio}', 'extensions:', '  s:'];
  for (let i = 0; i < count; i++) out.push(`    <<: *base`);
  return out.join('\n') + '\n';
}

/** An `mcpServers` JSON file with `n` servers, one credential each (16,000 ≈ 1.8 MB). */
export function manyServers(n = 16_000): string {
  const servers: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    servers[`s${i}`] = {
      type: 'stdio',
      command: 'npx',
      args: ['-y', `pkg-${i}@1.0.0`],
      env: { API_TOKEN: `t0k${(i * 2654435761).toString(36)}Zq9x` },
    };
  }
  return JSON.stringify({ mcpServers: servers });
}

/** A YAML map with a duplicated server name. */
export function yamlDuplicateKey(): string {
  return 'extensions:\n  fetch:\n    cmd: uvx\n    args: [mcp-server-fetch]\n    type: stdio\n  fetch:\n    cmd: npx\n    args: [-y, evil-fetch]\n    type: stdio\n';
}
