import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pipesDownloadToShell } from '../findings/rules/command-inline-shell.js';
import { splitPypiSpec } from '../findings/rules/runner.js';
import { urlCarriesCredentials } from '../findings/rules/transport-plaintext.js';
import type { ParsedSource, StringLeaf } from '../discovery/types.js';
import { detectInSource, genericCredential, isHighEntropySecret, lintText } from './detect.js';
import {
  containsReference,
  isReference,
  isSecretName,
  looksLikeSecret,
  maskArgs,
  maskCommand,
  maskHeaderValue,
  maskSecret,
  maskUrl,
  parseReferences,
  redactText,
  shellSplit,
} from './redact.js';
import { stripTrailing } from './shapes.js';

/** Asserts that no masked output contains the secret (or a long piece of it). */
function assertHidden(output: string | readonly string[], secret: string): void {
  const text = typeof output === 'string' ? output : output.join(' ');
  assert.ok(!text.includes(secret), `secret ${secret} leaked in: ${text}`);
  // Never more than a third of the secret in one piece.
  const piece = Math.floor(secret.length / 3) + 1;
  for (let i = 0; i + piece <= secret.length; i++) {
    assert.ok(!text.includes(secret.slice(i, i + piece)), `${secret.slice(i, i + piece)} of ${secret} leaked: ${text}`);
  }
}

/**
 * Fastest of three runs, in ms: the machine is shared, so a single run can be preempted; a
 * backtracking regex is slow every time.
 */
function elapsedMs(fn: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

describe('H1: no catastrophic backtracking on hostile input', () => {
  it('a 60- and a 5,000-char identifier-like arg each finish in < 10 ms', () => {
    // The old camelCase check /^(?:[A-Z]?[a-z]{2,})+(?:[A-Z][a-z]+)*\d{0,4}$/ took seconds at 37 chars.
    for (const warm of ['warm-up', 'Xy7pQ2rT9kLm3NvB']) {
      looksLikeSecret(warm);
      maskArgs([warm]);
      maskUrl(`https://h/${warm}`);
    }
    for (const len of [60, 5000]) {
      for (const input of [
        'a'.repeat(len - 1) + '-',
        'Ab'.repeat(len / 2 - 1) + 'a-',
        'aB'.repeat(len / 2 - 1) + '1!',
      ]) {
        const ms = Math.max(
          elapsedMs(() => looksLikeSecret(input)),
          elapsedMs(() => isHighEntropySecret(input)),
          elapsedMs(() => maskArgs([input])),
          elapsedMs(() => maskUrl(`https://h/${input}`)),
        );
        assert.ok(ms < 10, `${len} chars took ${ms} ms`);
      }
    }
  });

  it('every exported function stays linear on adversarial 5,000-char text', () => {
    const hostile = [
      'a'.repeat(4999) + '-',
      'eyJ'.repeat(1666) + '.',
      'eyJaaaaaaaaa.'.repeat(384),
      '"a":"'.repeat(1000),
      'x='.repeat(2500),
      'token='.repeat(833),
      '$' + '{a'.repeat(2499),
      '${a:-'.repeat(1000),
      'https://' + 'a@'.repeat(2496),
      'a://'.repeat(1250),
      'Bearer '.repeat(714),
      '%a'.repeat(2500),
      "'".repeat(5000),
      '"\\'.repeat(2500),
      'A'.repeat(2500) + 'a'.repeat(2500) + '!',
      'ghp_' + 'a'.repeat(4996) + '!',
      'a:'.repeat(2500),
      'Server=a;'.repeat(555),
    ];
    for (const input of hostile) {
      for (const [name, fn] of [
        ['redactText', () => redactText(input, ['aaaa'])],
        ['maskCommand', () => maskCommand(input)],
        ['maskArgs', () => maskArgs(['--config', input, `--x=${input}`, input])],
        ['maskUrl', () => maskUrl(input)],
        ['maskHeaderValue', () => maskHeaderValue('Authorization', input)],
        ['parseReferences', () => parseReferences(input)],
        ['isSecretName', () => isSecretName(input)],
        ['shellSplit', () => shellSplit(input)],
      ] as const) {
        const ms = elapsedMs(fn);
        assert.ok(ms < 250, `${name} on ${JSON.stringify(input.slice(0, 20))}… took ${ms} ms`);
      }
    }
  });
});

describe('H1: the other quadratic/cubic patterns found in discovery, secrets and findings', () => {
  it('findings: pip spec split and the plain-HTTP credential check stay linear', () => {
    splitPypiSpec('warm==1');
    urlCarriesCredentials('http://h/?a=b');
    // Was `\s*(op)?\s*(.*)$`: 4 s at 2,000 chars.
    const spec = 'a' + ' '.repeat(5000) + 'b\nc';
    assert.ok(elapsedMs(() => splitPypiSpec(spec)) < 10);
    assert.deepEqual(splitPypiSpec('mcp-server-fetch==1.2.3'), {
      name: 'mcp-server-fetch',
      version: '1.2.3',
      exact: true,
    });
    assert.deepEqual(splitPypiSpec('pkg[extra] >= 1'), { name: 'pkg', version: '1', exact: false });
    // Was `[?&](?:[^=]*(?:key|token|secret|auth)[^=]*)=`: 4.7 s at 5,000 chars.
    const url = 'http://h/?' + '?key'.repeat(1250);
    assert.ok(elapsedMs(() => urlCarriesCredentials(url)) < 10);
    assert.equal(urlCarriesCredentials(url), false);
    assert.equal(urlCarriesCredentials('http://h/mcp?region=eu&apiKey=x'), true);
    assert.equal(urlCarriesCredentials('http://u:p@h/mcp'), true);
    assert.equal(urlCarriesCredentials('http://h/mcp?page=2'), false);
  });

  it('findings: the download-piped-into-a-shell check stays linear', () => {
    pipesDownloadToShell('warm | up');
    const script = 'curl '.repeat(16_000);
    assert.ok(elapsedMs(() => pipesDownloadToShell(script)) < 10);
    assert.ok(elapsedMs(() => pipesDownloadToShell(script + '|' + script)) < 20);
    assert.equal(pipesDownloadToShell('curl -fsSL https://x.sh | sudo bash'), true);
    assert.equal(pipesDownloadToShell('iwr https://x/a.ps1 | iex'), true);
    assert.equal(pipesDownloadToShell('curl https://x | jq . | sh'), false);
    assert.equal(pipesDownloadToShell('echo hi | sh'), false);
  });

  it('secrets: trailing-quote trimming and the extra token patterns stay linear', async () => {
    // Was `/["',]+$/`: quadratic on a long run of quotes.
    const quotes = "'".repeat(20_000) + '!';
    assert.ok(elapsedMs(() => stripTrailing(quotes, `"',`)) < 10);
    assert.equal(stripTrailing(`abc",'`, `"',`), 'abc');
    await lintText('/x.json', 'warm');
    const small = '-glpat-'.repeat(1000);
    const large = '-glpat-'.repeat(8000);
    let t = process.hrtime.bigint();
    await lintText('/x.json', small);
    const smallMs = Number(process.hrtime.bigint() - t) / 1e6;
    t = process.hrtime.bigint();
    await lintText('/x.json', large);
    const largeMs = Number(process.hrtime.bigint() - t) / 1e6;
    // 8x the input: linear is ~8x; quadratic would be ~64x.
    assert.ok(largeMs < Math.max(smallMs, 2) * 25, `${smallMs} ms → ${largeMs} ms`);
  });
});

describe('H4: discovery masking bypasses', () => {
  it('header flags go through header masking', () => {
    assertHidden(maskArgs(['--header=Authorization: Bearer s3cr3tT0ken12']), 's3cr3tT0ken12');
    assert.deepEqual(maskArgs(['--header=Authorization: Bearer s3cr3tT0ken12']), [
      '--header=Authorization: Bearer …en12',
    ]);
    assert.deepEqual(maskArgs(['-H', 'X-Api-Key: k3yvalue99']), ['-H', 'X-Api-Key: ****']);
    assert.deepEqual(maskArgs(['--header', 'Cookie: session=abcdef123456']), ['--header', 'Cookie: …3456']);
    assert.deepEqual(maskArgs(['-H', 'X-Gitlab-Token: abcdefgh1']), ['-H', 'X-Gitlab-Token: ****']);
    assert.deepEqual(maskArgs(['-H', 'X-Custom: Basic dXNlcjpwYXNzd29yZA==']), ['-H', 'X-Custom: Basic …ZA==']);
    // Non-credential headers stay readable.
    assert.deepEqual(maskArgs(['-H', 'Accept: application/json']), ['-H', 'Accept: application/json']);
    assert.equal(maskHeaderValue('Authorization', 'Bearer s3cr3tT0ken12'), 'Bearer …en12');
    assert.equal(maskHeaderValue('Private-Token', 'glpat-short1'), '…ort1');
    assert.equal(maskHeaderValue('Authorization', 'Bearer ${TOKEN}'), 'Bearer ${TOKEN}');
    assert.equal(maskHeaderValue('Accept', 'text/event-stream'), 'text/event-stream');
  });

  it('camelCase, kebab-case and snake_case secret names are recognised', () => {
    for (const flag of [
      '--apiToken',
      '--dbPassword',
      '--githubToken',
      '--api-key',
      '--db_password',
      '--clientSecret',
    ]) {
      assert.deepEqual(maskArgs([flag, 'plainValue42x']), [flag, '…e42x'], flag);
      assert.deepEqual(maskArgs([`${flag}=plainValue42x`]), [`${flag}=…e42x`], flag);
    }
    for (const name of ['apiToken', 'DB_PASSWORD', 'X-Api-Key', 'githubToken', 'APIKey', 'refresh_token', 'Cookie']) {
      assert.ok(isSecretName(name), name);
    }
    for (const name of [
      'token_type',
      'tokenLimit',
      '--token-limit',
      'pass-through',
      'keyFile',
      'max_tokens',
      'author',
    ]) {
      assert.ok(!isSecretName(name), name);
    }
  });

  it('a whole command line in one string is split and masked word by word', () => {
    assert.equal(maskCommand('npx -y srv --api-key Pa55w0rdxyz123'), 'npx -y srv --api-key …z123');
    assert.equal(
      maskCommand(`docker run -e "GITHUB_TOKEN=ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr" img`),
      'docker run -e "GITHUB_TOKEN=ghp_…oCLr" img',
    );
    assert.equal(maskCommand('npx'), 'npx');
    assert.equal(maskCommand('C:\\Program Files\\nodejs\\node.exe'), 'C:\\Program Files\\nodejs\\node.exe');
  });

  it('inline shell scripts (-c) are masked inside', () => {
    const token = 'abcDEF123ghiJKL456';
    const out = maskArgs(['-c', `curl -H "Authorization: Bearer ${token}" https://api.example.com`]);
    assertHidden(out, token);
    assert.deepEqual(out, ['-c', 'curl -H "Authorization: Bearer …L456" https://api.example.com']);
    assertHidden(maskArgs(['bash', '-lc', `export API_KEY=${token}; run-server`]), token);
    assertHidden(maskCommand(`sh -c 'exec srv --token ${token}'`), token);
  });

  it('connection strings: ADO.NET style, --connection-string, and URLs', () => {
    assert.deepEqual(maskArgs(['Server=db;Password=hunter2;User Id=sa']), ['Server=db;Password=****;User Id=sa']);
    assert.deepEqual(maskArgs(['--connection-string', 'Server=db;Database=x;Pwd=Sup3rS3cret']), [
      '--connection-string',
      'Server=db;Database=x;Pwd=****',
    ]);
    assert.deepEqual(maskArgs(['--connection-string', 'opaqueValue1234']), ['--connection-string', '…1234']);
    assert.deepEqual(maskArgs(['postgres://u:p@h/db']), ['postgres://u:****@h/db']);
    assert.deepEqual(maskArgs(['--db', 'mysql://root:r00tpass@localhost/app']), [
      '--db',
      'mysql://root:****@localhost/app',
    ]);
  });

  it('user:password flags (curl -u), not docker uid:gid', () => {
    assert.deepEqual(maskArgs(['-u', 'admin:hunter2']), ['-u', 'admin:****']);
    assert.deepEqual(maskArgs(['--user=admin:Sup3rS3cretPass']), ['--user=admin:…Pass']);
    assert.deepEqual(maskArgs(['run', '-u', '1000:1000', 'img']), ['run', '-u', '1000:1000', 'img']);
  });

  it('JSON inside an argument', () => {
    assert.deepEqual(maskArgs(['--config={"apiKey":"abcd1234efgh","region":"eu"}']), [
      '--config={"apiKey":"…efgh","region":"eu"}',
    ]);
    assertHidden(maskArgs(['--config', '{"auth": {"password": "Tr0ub4dor&3x"}}']), 'Tr0ub4dor&3x');
  });

  it('URL userinfo with a token only', () => {
    assert.equal(maskUrl('https://mytokenabc@host.example/x'), 'https://****@host.example/x');
    assert.equal(maskUrl('https://mytokenabcdefgh@host.example/x'), 'https://…efgh@host.example/x');
    assert.equal(maskUrl('ssh://git@github.com/org/repo'), 'ssh://git@github.com/org/repo');
    assert.equal(maskUrl('https://${TOKEN}@host/x'), 'https://${TOKEN}@host/x');
  });

  it('query values: secret-named params of any length, detector-flagged values of any name', () => {
    assert.equal(maskUrl('https://h/mcp?api_key=abc&page=2'), 'https://h/mcp?api_key=****&page=2');
    assert.equal(maskUrl('https://h/mcp?apiKey=x1&region=eu'), 'https://h/mcp?apiKey=****&region=eu');
    assert.equal(maskUrl('https://h/mcp?access_token=x1'), 'https://h/mcp?access_token=****');
    assert.equal(maskUrl('https://h/mcp?q=Xy7pQ2rT9kLm3NvB'), 'https://h/mcp?q=…3NvB');
    const plain = 'https://h/mcp?project_ref=abc123&read_only=true&page=2';
    assert.equal(maskUrl(plain), plain);
  });

  it('URL fragments', () => {
    assert.equal(maskUrl('https://h/cb#token=abc12'), 'https://h/cb#token=****');
    assert.equal(
      maskUrl('https://h/cb#access_token=ya29.a0AfH6SMBx12345&token_type=Bearer&expires_in=3599'),
      'https://h/cb#access_token=…2345&token_type=Bearer&expires_in=3599',
    );
    assert.equal(maskUrl('https://h/docs#section-2'), 'https://h/docs#section-2');
    assert.equal(maskUrl('https://h/app#/route?id_token=abcdefgh12'), 'https://h/app#/route?id_token=****');
  });

  it('the detector and the masker agree: whatever detection flags is masked', () => {
    const values = [
      'Xy7pQ2rT9kLm3NvB',
      'Zm9vYmFyOTg3NjU0MzIxcXdlcnR5dWlvcGFzZGZn',
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b',
      'q8Z2xLk93VbT0rWmN7sYpA4d',
      'aB3dE5fG7hJ9kL1m',
      'live-Xy7pQ2rT9kLm3NvB',
      '123e4567-e89b-12d3-a456-426614174000',
    ];
    for (const v of values) {
      assert.ok(isHighEntropySecret(v), v);
      assert.equal(genericCredential(v, 'API_KEY', false), v);
      assert.ok(looksLikeSecret(v), v);
      assertHidden(maskArgs([v]), v);
      assertHidden(maskArgs(['--opt', v]), v);
      assertHidden(maskArgs([`--opt=${v}`]), v);
      assertHidden(maskArgs([`SOME_VAR=${v}`]), v);
      assertHidden(maskUrl(`https://h/p/${v}/x`), v);
      assertHidden(maskUrl(`https://h/p?q=${v}`), v);
      assertHidden(maskCommand(`srv --opt ${v}`), v);
      assertHidden(redactText(`failed with ${v} today`), v);
    }
    // …and what detection does not flag stays readable.
    for (const v of [
      'ModelContextProtocolServer',
      'mcp-server-sqlite',
      '/home/dev/code/some-long-folder-name',
      'claude-3-5-sonnet-20241022',
      'gpt-4o-mini-2024-07-18',
      'python3.12-slim-bookworm',
      'v20.11.1-linux-x64',
      'anthropic.claude-3-haiku-20240307-v1:0',
    ]) {
      assert.ok(!isHighEntropySecret(v), v);
      assert.deepEqual(maskArgs([v]), [v]);
    }
  });

  it('maskSecret never reveals more than a third of a value', () => {
    assert.equal(maskSecret('abcdefghijkl'), '…ijkl');
    assert.equal(maskSecret('secretabcdef'), '…cdef');
    assert.equal(maskSecret('ghp_abcdefgh'), '…efgh');
    assert.equal(maskSecret('hunter2hunt'), '****');
    assert.equal(maskSecret('ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr'), 'ghp_…oCLr');
    assert.equal(maskSecret('q8Z2xLk93VbT0rWmN7sYpA4d'), 'q8Z2…pA4d');
    for (let n = 1; n <= 80; n++) {
      for (const v of [
        'x'.repeat(n),
        'glpat-' + 'y'.repeat(n),
        'secret_' + 'z'.repeat(n),
        'sk-proj-' + 'w'.repeat(n),
      ]) {
        const shown = maskSecret(v).replace(/[…*]/g, '').length;
        assert.ok(shown <= v.length / 3, `${v}: ${maskSecret(v)}`);
      }
    }
  });
});

describe('redactText', () => {
  it('removes known values, auth schemes, secret-named pairs, URL credentials and token shapes', () => {
    const text = [
      'connect failed: secret=Hunter2Password!',
      'Authorization: Bearer abc.def.ghi.jkl',
      'url https://u:pw@db.example.com/x?api_key=zz, then',
      '{"clientSecret": "cs_12345678", "name": "srv"}',
      'token ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr in env',
      "password='p@ss word'",
      'value is MyExactSecretValue in output',
    ].join('\n');
    const out = redactText(text, ['MyExactSecretValue']);
    for (const s of [
      'Hunter2Password!',
      'abc.def.ghi.jkl',
      ':pw@',
      'zz,',
      'cs_12345678',
      'OhbVrpoiVgRV5IfLB',
      'p@ss word',
      'MyExactSecretValue',
    ]) {
      assert.ok(!out.includes(s), `${s} leaked:\n${out}`);
    }
    assert.match(out, /"name": "srv"/);
    assert.match(out, /https:\/\/u:\*\*\*\*@db\.example\.com\/x\?api_key=\*\*\*\*, then/);
    assert.match(out, /ghp_…oCLr/);
  });

  it('keeps references, prose and already-masked text', () => {
    const prose = 'Token expired; Basic authentication is off. Set API_KEY=${env:API_KEY} or $TOKEN.';
    assert.equal(redactText(prose), prose);
    const masked = 'token=…abcd Authorization: Bearer ghp_…oCLr password=****';
    assert.equal(redactText(masked), masked);
    assert.equal(redactText(redactText('secret=abcdefghijklmnop')), redactText('secret=abcdefghijklmnop'));
  });

  it('known values in URL-encoded and JSON-escaped forms', () => {
    const v = 'p@ss/w"rd';
    const out = redactText(`a ${encodeURIComponent(v)} b ${JSON.stringify(v)}`, [v]);
    assert.ok(!out.includes(encodeURIComponent(v)) && !out.includes(JSON.stringify(v).slice(1, -1)), out);
  });
});

describe('reference grammar', () => {
  it('parses every syntax', () => {
    const refs = parseReferences('${A} ${B:-dflt} ${env:C} ${input:d-1} $E {env:F} %G% ${config:x.y}');
    assert.deepEqual(
      refs.map((r) => [r.syntax, r.name, r.default]),
      [
        ['dollar-brace', 'A', undefined],
        ['dollar-brace-default', 'B', 'dflt'],
        ['env-colon', 'C', undefined],
        ['input', 'd-1', undefined],
        ['bare-dollar', 'E', undefined],
        ['brace-env', 'F', undefined],
        ['percent', 'G', undefined],
        ['editor-variable', 'config:x.y', undefined],
      ],
    );
  });

  it('isReference: whole-value references; a literal default is not an indirection', () => {
    for (const v of ['${A}', '${A:-}', '${A:-$B}', '${env:A}', '${input:x}', '$A', '{env:A}', '%A%', 'Bearer ${T}']) {
      assert.ok(isReference(v), v);
    }
    for (const v of ['${A:-sk-live-literal}', 'abc${A}', 'plain', '$', '%%']) assert.ok(!isReference(v), v);
    // The literal default of ${VAR:-default} is masked like the value it stands in for.
    assert.deepEqual(maskArgs(['--token', '${TOKEN:-Xy7pQ2rT9kLm3NvB}']), ['--token', '${TOKEN:-…3NvB}']);
    assert.deepEqual(maskArgs(['--token', '${TOKEN}']), ['--token', '${TOKEN}']);
  });
});

describe('references inside literals', () => {
  it('a `$` or `%` inside a password does not make it a template', () => {
    assert.ok(!containsReference('P@ss$word1'));
    assert.ok(!containsReference('100%sure%'));
    assert.ok(containsReference('Bearer $API_TOKEN'));
    assert.ok(containsReference('x-${env:KEY}'));
    assert.ok(containsReference('%APPDATA%\\tool'));
  });
});

describe('whatever detection flags, every display masks', () => {
  it('each secretlint/pattern/generic hit in args, URLs and command lines is hidden by the masker', async () => {
    const samples = [
      'ghp_Xq7RtY2uIo9PaS4dFgH6jKl1ZxC3vBn8M0we',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab',
      'glpat-U74KKEpYEZAmggQBwBAD',
      'AKIAQZ7XR4NB2LK9WD3M',
      'xoxb-227824896383-4657871331509-JoLoaeTOdoe5c3veGprQFnIi',
      'sk-ant-api03-GMmjxWkI9X7H6aMuFbh7x41Ztpdp4K8ffUF0eWIX',
      'sk-proj-YRBMeyyMDHqJ38aRUhR4IWrXPvhsBkDa9U4UqGWlG6g3Ot1O',
      'hf_3UdRPPgdzUvZ3gpmmICiBlrDp37eCZ32Jg',
      'AIzaSyD4x9Qm2Lr7Tn5Vb8Wc1Xe3Yf6Zg0Hh2Jk',
      'npm_Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A',
      'SG.aB3dE5fG7hJ9kL1mN3pQ5r.sT7uV9wX1yZ3aB5cD7eF9gH1iJ3kL5mN7oP9qR1sT3',
      'shpat_0123456789abcdef0123456789abcdef',
      'dapi0123456789abcdef0123456789abcdef',
      'sk_live_51H8x9Qm2Lr7Tn5Vb8Wc1Xe3Yf6Zg0Hh2Jk4Lm',
      'Zm9vYmFyOTg3NjU0MzIxcXdlcnR5dWlvcGFzZGZn',
      'Xy7pQ2rT9kLm3NvB',
    ];
    const args = samples.flatMap((v, i) => [`--opt${i}`, v, `--k${i}=${v}`, `--token`, v]);
    const config = {
      mcpServers: {
        s: { command: 'npx', args, env: {} },
        u: { url: `https://h.example/mcp?api_key=${samples[0]}&q=${samples[14]}` },
      },
    };
    const text = JSON.stringify(config, null, 2);
    const leaves: StringLeaf[] = [];
    let cursor = 0;
    args.forEach((v, i) => {
      const token = JSON.stringify(v);
      const from = text.indexOf(token, cursor);
      cursor = from + token.length;
      leaves.push({
        pointer: `/mcpServers/s/args/${i}`,
        key: String(i),
        value: v,
        line: text.slice(0, from).split('\n').length,
        offset: from,
        length: token.length,
      });
    });
    const src: ParsedSource = {
      source: { client: 'cursor', path: '/x/mcp.json', scope: 'user', status: 'ok' },
      text,
      leaves,
    };
    const hits = await detectInSource(src, () => true);
    assert.ok(hits.length >= samples.length - 2, `secretlint found ${hits.length}`);
    const flagged = new Set([
      ...hits.map((h) => h.value),
      ...samples.filter((v) => genericCredential(v, 'API_KEY', false) !== undefined),
    ]);
    const shown = [
      maskArgs(args).join(' '),
      maskCommand(`npx srv ${args.map((a) => `'${a}'`).join(' ')}`),
      maskUrl(config.mcpServers.u.url),
      redactText(text),
    ];
    for (const v of flagged) for (const s of shown) assertHidden(s, v);
  });
});
