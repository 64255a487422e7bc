import { pathToFileURL } from 'node:url';
import type { Finding, RuleId, Severity } from '../../../shared/model/finding.js';
import { ruleMeta } from './rule-meta.js';

/** SARIF 2.1.0 for a list of findings: one rule per id, severity → level, pointer as logical location. */
export type SarifLevel = 'error' | 'warning' | 'note';

export function sarifLevel(s: Severity): SarifLevel {
  if (s === 'critical' || s === 'high') return 'error';
  if (s === 'medium') return 'warning';
  return 'note';
}

/** GitHub code scanning reads `security-severity` (0–10) to rank security results. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '1.0',
};

function artifactUri(file: string): string {
  return /^[a-z]+:\/\//i.test(file) ? file : pathToFileURL(file).href;
}

export function toSarif(findings: readonly Finding[], tool: { version: string }): Record<string, unknown> {
  const ruleIds = [...new Set(findings.map((f) => f.ruleId))].sort() as RuleId[];
  const index = new Map(ruleIds.map((id, i) => [id, i]));
  const rules = ruleIds.map((id) => {
    const meta = ruleMeta(id);
    return {
      id,
      name: id.replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase()),
      shortDescription: { text: meta.title },
      fullDescription: { text: meta.help },
      help: { text: meta.help },
      defaultConfiguration: { level: sarifLevel(meta.severity) },
      properties: { tags: ['security', 'mcp'], 'security-severity': SECURITY_SEVERITY[meta.severity] },
    };
  });
  const results = findings.map((f) => {
    const text = [f.message, f.evidence ? `Evidence: ${f.evidence}.` : '', f.remediation ? `Fix: ${f.remediation}` : '']
      .filter(Boolean)
      .join(' ');
    return {
      ruleId: f.ruleId,
      ruleIndex: index.get(f.ruleId) ?? 0,
      level: sarifLevel(f.severity),
      message: { text },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: artifactUri(f.location.file) },
            ...(f.location.line ? { region: { startLine: f.location.line } } : {}),
          },
          logicalLocations: [{ fullyQualifiedName: f.location.pointer || '/', kind: 'member' }],
        },
      ],
      partialFingerprints: { 'gatehouseFindingId/v1': f.id },
      ...(f.status === 'suppressed' && f.suppression
        ? { suppressions: [{ kind: 'external', status: 'accepted', justification: f.suppression.reason }] }
        : {}),
      properties: {
        severity: f.severity,
        client: f.client,
        server: f.server,
        ...(f.secretType ? { secretType: f.secretType } : {}),
        ...(f.evidence ? { evidence: f.evidence } : {}),
        firstSeen: f.firstSeen,
      },
    };
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'gatehouse',
            version: tool.version,
            rules,
          },
        },
        results,
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}
