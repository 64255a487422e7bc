import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding } from '../../../shared/model/finding.js';
import { findingId, severityRank, sortFindings } from './engine.js';
import { referenceAdvice, secretRemediation } from './remediation.js';
import { sarifLevel, toSarif } from './sarif.js';

describe('remediation per client', () => {
  it("names the owning client's own indirection", () => {
    assert.match(referenceAdvice('vscode', 'env', 'GITHUB_TOKEN'), /"password": true.*\$\{input:github-token\}/);
    assert.match(
      referenceAdvice('codex', 'headers', 'API_TOKEN', 'Authorization'),
      /bearer_token_env_var = "API_TOKEN"/,
    );
    assert.match(
      referenceAdvice('codex', 'headers', 'API_KEY', 'X-Api-Key'),
      /env_http_headers = \{ "X-Api-Key" = "API_KEY" \}/,
    );
    assert.match(referenceAdvice('claude-code', 'env', 'X'), /"\$\{X\}"/);
    assert.match(referenceAdvice('cursor', 'env', 'X'), /"\$\{env:X\}"/);
    assert.match(referenceAdvice('windsurf', 'env', 'X'), /"\$\{env:X\}"/);
    assert.match(referenceAdvice('gemini-cli', 'env', 'X'), /"\$X"/);
    assert.match(referenceAdvice('opencode', 'env', 'X'), /"\{env:X\}"/);
    // Real runners only (no invented wrapper package).
    for (const c of ['claude-desktop', 'zed'] as const) {
      const advice = referenceAdvice(c, 'env', 'X');
      assert.match(advice, /op run .*doppler run .*infisical run .*aws-vault exec/);
      assert.doesNotMatch(advice, /mcp-secret-wrapper/);
    }
  });

  it('says how to move a value out of args and URLs', () => {
    assert.match(
      secretRemediation({ client: 'cursor', field: 'args', secretType: 'github-classic-pat' }),
      /out of the command line.*GITHUB_TOKEN/,
    );
    assert.match(
      secretRemediation({ client: 'cursor', field: 'url', secretType: 'gitlab-pat' }),
      /out of the URL.*header/,
    );
    // A query parameter is named as such; userinfo as user:password@.
    const query = secretRemediation({
      client: 'cursor',
      field: 'url',
      fieldKey: 'api_key',
      secretType: 'generic-secret',
    });
    assert.match(query, /remove the query parameter "api_key"/);
    assert.doesNotMatch(query, /user:password@/);
    assert.match(
      secretRemediation({ client: 'cursor', field: 'url', secretType: 'url-credentials' }),
      /remove the user:password@ part/,
    );
  });
});

describe('ids and SARIF', () => {
  const f: Finding = {
    id: findingId({
      ruleId: 'secret.in-args',
      location: { file: '/h/.cursor/mcp.json', pointer: '/mcpServers/a/args/2' },
      fingerprint: 'hs1:ab',
    }),
    ruleId: 'secret.in-args',
    severity: 'critical',
    title: 't',
    message: 'm',
    client: 'cursor',
    server: 'a',
    location: { file: '/h/.cursor/mcp.json', pointer: '/mcpServers/a/args/2', line: 7 },
    evidence: 'ghp_…abcd',
    status: 'suppressed',
    suppression: { key: 'k', reason: 'accepted', createdAt: '2026-11-28T00:00:00Z' },
    firstSeen: '2026-11-28T00:00:00Z',
  };

  it('ids depend on rule, file, pointer and fingerprint only', () => {
    const base = {
      ruleId: 'secret.literal' as const,
      location: { file: '/a', pointer: '/x', line: 3 },
      fingerprint: 'hs1:1',
    };
    assert.equal(findingId(base), findingId({ ...base, location: { ...base.location, line: 9 } }));
    assert.notEqual(findingId(base), findingId({ ...base, fingerprint: 'hs1:2' }));
    assert.notEqual(findingId(base), findingId({ ...base, ruleId: 'secret.reused' }));
  });

  it('maps severity to level and the pointer to a logical location', () => {
    assert.deepEqual(
      ['critical', 'high', 'medium', 'low', 'info'].map((s) => sarifLevel(s as Finding['severity'])),
      ['error', 'error', 'warning', 'note', 'note'],
    );
    const sarif = toSarif([f], { version: '1.2.3' }) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string; help: { text: string } }[] } };
        results: Record<string, unknown>[];
      }[];
    };
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0]!;
    assert.deepEqual(
      run.tool.driver.rules.map((r) => r.id),
      ['secret.in-args'],
    );
    assert.match(run.tool.driver.rules[0]!.help.text, /process list/);
    const r = run.results[0] as {
      level: string;
      locations: {
        physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
        logicalLocations: { fullyQualifiedName: string }[];
      }[];
      suppressions: { justification: string }[];
    };
    assert.equal(r.level, 'error');
    assert.equal(r.locations[0]!.physicalLocation.artifactLocation.uri, 'file:///h/.cursor/mcp.json');
    assert.equal(r.locations[0]!.physicalLocation.region.startLine, 7);
    assert.equal(r.locations[0]!.logicalLocations[0]!.fullyQualifiedName, '/mcpServers/a/args/2');
    assert.equal(r.suppressions[0]!.justification, 'accepted');
  });
});

describe('sortFindings', () => {
  it('orders exactly as comparing with localeCompare did (one collator instead)', () => {
    const words = [
      'a',
      'B',
      'b',
      'é',
      'e',
      'Z',
      '_x',
      '-y',
      '10',
      '9',
      'ß',
      'ss',
      '/mcp/ä',
      '/mcp/a',
      '~',
      '中',
      '𝄞',
      '',
    ];
    let seed = 7;
    const pick = () => words[(seed = (seed * 1103515245 + 12345) % 2147483648) % words.length]!;
    const list = Array.from({ length: 400 }, () => ({
      severity: (['critical', 'high', 'medium', 'low'] as const)[seed % 4]!,
      location: { file: `/h/${pick()}${pick()}`, pointer: `/${pick()}/${pick()}`, line: seed % 3 },
      ruleId: pick() as Finding['ruleId'],
    }));
    const byLocale = [...list].sort(
      (a, b) =>
        severityRank(a.severity) - severityRank(b.severity) ||
        a.location.file.localeCompare(b.location.file) ||
        (a.location.line ?? 0) - (b.location.line ?? 0) ||
        a.location.pointer.localeCompare(b.location.pointer) ||
        a.ruleId.localeCompare(b.ruleId),
    );
    assert.deepEqual(sortFindings([...list]), byLocale);
  });
});
