import type { ClientId } from '../../../shared/model/discovery.js';
import type { SecretField } from './types.js';

/**
 * Remediation text concrete to the client that owns the file: how that client references a
 * secret instead of holding it (shared/reference/client-configs.md, "Secret indirection").
 */

const TYPE_VARS: [RegExp, string][] = [
  [/^github/, 'GITHUB_TOKEN'],
  [/^gitlab/, 'GITLAB_TOKEN'],
  [/^aws-secret/, 'AWS_SECRET_ACCESS_KEY'],
  [/^aws/, 'AWS_ACCESS_KEY_ID'],
  [/^slack/, 'SLACK_TOKEN'],
  [/^openai/, 'OPENAI_API_KEY'],
  [/^anthropic/, 'ANTHROPIC_API_KEY'],
  [/^google/, 'GOOGLE_API_KEY'],
  [/^hugging/, 'HF_TOKEN'],
  [/^db-connection/, 'DATABASE_URL'],
  [/^stripe/, 'STRIPE_API_KEY'],
];

/** A variable name to suggest: the env key itself, a header-derived name or one by secret type. */
export function suggestedVariable(field: SecretField, fieldKey: string | undefined, secretType: string): string {
  if (field === 'env' && fieldKey && /^[A-Za-z_][A-Za-z0-9_]*$/.test(fieldKey)) return fieldKey;
  for (const [re, name] of TYPE_VARS) if (re.test(secretType)) return name;
  if (fieldKey) {
    const v = fieldKey
      .replace(/^-+/, '')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .toUpperCase();
    if (/^[A-Z_][A-Z0-9_]*$/.test(v) && !/^AUTHORIZATION$/.test(v)) return v;
  }
  return 'MCP_SERVER_TOKEN';
}

/** How the owning client references a variable instead of a literal. */
export function referenceAdvice(client: ClientId, field: SecretField, variable: string, fieldKey?: string): string {
  const header = field === 'headers';
  switch (client) {
    case 'vscode':
    case 'vscode-insiders': {
      const id = variable.toLowerCase().replace(/_/g, '-');
      return (
        `In VS Code, declare an input — "inputs": [{ "type": "promptString", "id": "${id}", "description": "${variable}", "password": true }] — ` +
        `and write "\${input:${id}}" in place of the value; VS Code asks once and keeps it in its secret storage. ` +
        `(\${env:${variable}} also works when the variable is set in VS Code's environment.)`
      );
    }
    case 'codex':
      if (header && fieldKey && /^authorization$/i.test(fieldKey)) {
        return `In Codex, drop the Authorization entry from http_headers and set bearer_token_env_var = "${variable}" on the server; export ${variable} in the environment Codex starts from.`;
      }
      if (header) {
        return `In Codex, move the header from http_headers to env_http_headers = { "${fieldKey ?? 'X-Api-Key'}" = "${variable}" } so its value is read from the environment variable ${variable}.`;
      }
      return `In Codex, remove the value from the server's env table, export ${variable} in the environment Codex starts from and forward it with env_vars = ["${variable}"].`;
    case 'claude-code':
      return `In Claude Code, write "\${${variable}}" in place of the value (Claude Code expands \${VAR} and \${VAR:-default} in command, args, env, url and headers) and export ${variable} in your shell or a secrets manager.`;
    case 'claude-desktop':
      return `Claude Desktop does not expand variables in its config: start the server through a secrets manager's runner that injects ${variable} at launch: ${RUNNERS} Or use a server that reads the key from the OS keychain.`;
    case 'cursor':
      return `In Cursor, write "\${env:${variable}}" in place of the value and export ${variable} in the environment Cursor starts from.`;
    case 'windsurf':
      return `In Windsurf, write "\${env:${variable}}" in place of the value and export ${variable} in the environment Windsurf starts from.`;
    case 'gemini-cli':
      return `In Gemini CLI, write "$${variable}" (or "\${${variable}}") in place of the value; Gemini expands environment variables in settings.json.`;
    case 'opencode':
      return `In opencode, write "{env:${variable}}" in place of the value and export ${variable}.`;
    case 'continue':
      return `In Continue, write "\${{ secrets.${variable} }}" in place of the value and store ${variable} as a Continue secret (or in a local .env that is not committed).`;
    default:
      return `This client has no documented variable indirection for this field: start the server through a secrets manager's runner that injects ${variable} at launch: ${RUNNERS} Or keep the credential in the server's own keychain-backed login.`;
  }
}

/**
 * Real runners that fetch a secret and start a command with it in the environment (the config then
 * runs e.g. "op run -- npx …"). Each needs its CLI installed and signed in.
 */
const RUNNERS =
  '"op run --env-file=<file> -- <command>" (1Password CLI), "doppler run -- <command>" (Doppler), ' +
  '"infisical run -- <command>" (Infisical) or "aws-vault exec <profile> -- <command>" (AWS credentials).';

/** Which part of a URL holds the credential: its userinfo (user:password@) or a named query parameter. */
export function urlCredentialPart(secretType: string, fieldKey: string | undefined): string {
  if (secretType === 'url-credentials' || !fieldKey || fieldKey === 'password') return 'the user:password@ part';
  return `the query parameter "${fieldKey}"`;
}

export interface SecretRemediationInput {
  client: ClientId;
  field: SecretField;
  fieldKey?: string;
  secretType: string;
  inUrl?: boolean;
}

export function secretRemediation(i: SecretRemediationInput): string {
  const variable = suggestedVariable(i.field, i.fieldKey, i.secretType);
  const rotate = 'Treat the credential as exposed: rotate it at the provider after moving it.';
  if (i.field === 'args') {
    return (
      `Move the credential out of the command line: most servers also read it from an environment variable (for example ${variable}); ` +
      `remove the argument and put ${variable} in the server's env, as a reference rather than a literal. ` +
      referenceAdvice(i.client, 'env', variable, variable) +
      ' ' +
      rotate
    );
  }
  if (i.field === 'url' || i.inUrl) {
    const part = urlCredentialPart(i.secretType, i.fieldKey);
    return (
      `Move the credential out of the URL: remove ${part} and send it in a header ` +
      `(Authorization: Bearer … or the server's API-key header) whose value references ${variable}. ` +
      referenceAdvice(i.client, 'headers', variable, 'Authorization') +
      ' ' +
      rotate
    );
  }
  return referenceAdvice(i.client, i.field, variable, i.fieldKey) + ' ' + rotate;
}
