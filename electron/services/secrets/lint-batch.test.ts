import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { test } from 'node:test';
import { generateSyntheticWorkstation } from '../../../bench/synthetic-workstation.js';
import { lintText, lintTexts } from './detect.js';

/** What lintTexts must equal: one secretlint call per text. */
async function oneByOne(items: { path: string; text: string }[]) {
  const out = [];
  for (const it of items) out.push(await lintText(it.path, it.text));
  return out;
}

const GH = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const SLACK = 'xoxb-' + '123456789012-1234567890123-abcdefghijABCDEFGHIJabcd';
const AWS = 'AKIA' + 'IOSFODNN7EXAMPLF';
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${'MIIEowIBAAKCAQEA7'.repeat(8)}\n-----END RSA PRIVATE KEY-----`;

test('batched secretlint gives each text exactly the messages of linting it alone (edge cases)', async () => {
  const items = [
    { path: '/h/a.json', text: `${GH}` }, // a token that is the whole text (no line break around it)
    { path: '/h/b.json', text: `{"env": {"T": "${SLACK}"}}\n` },
    { path: '/h/c.toml', text: `[x]\r\ntoken = "${GH}"\r\nurl = "postgres://u:${'p4ssw0rd'}@db.example.com/x"\r\n` },
    { path: '/h/d.yaml', text: `k: ${AWS}\rold: mac line endings\r` }, // ends with CR: linted alone
    { path: '/h/e.json', text: '{"key": "-----BEGIN RSA PRIVATE KEY-----"' }, // unterminated key block…
    { path: '/h/f.json', text: `{"pem": "${PEM.replace(/\n/g, '\\n')}"}\n${PEM}\n` }, // …and a real one next
    { path: '/h/g.yaml', text: `# secretlint-disable\ntoken: ${GH}\n` }, // directives reach past the text
    { path: '/h/h.json', text: `{"t": "${GH}"}` },
    { path: '/h/.npmrc', text: `//registry.npmjs.org/:_authToken=npm_${'A'.repeat(36)}\n` },
    { path: '/h/i.json', text: '' },
    // A match that only exists across the join: the name ends one text, the value starts the next.
    { path: '/h/k.env', text: '{"x": 1}\nAWS_SECRET_ACCESS_KEY' },
    { path: '/h/l.env', text: `= "I5yJZ9lKnkeYNZdwSt1Y/5Tr0YWO3H/JF0OpHpPN"\n{"t": "${GH}"}\n` },
    { path: '/h/j.json', text: `\n\n{"u": "https://hooks.slack.com/services/T0123/B0123/abcdefXYZ"}\u2028${SLACK}` },
  ];
  const batched = await lintTexts(items);
  const alone = await oneByOne(items);
  assert.deepEqual(batched, alone);
  // The cases do produce messages (a wrong mapping could not pass by all being empty).
  assert.ok(alone.filter((m) => m.length > 0).length >= 7);
});

test('batched secretlint equals per-file secretlint over a synthetic workstation', async () => {
  const synth = await generateSyntheticWorkstation({ files: 40, serversPerFile: 4, seed: 3, credentialEvery: 2 });
  try {
    const items = await Promise.all(synth.files.map(async (path) => ({ path, text: await readFile(path, 'utf8') })));
    const batched = await lintTexts(items);
    assert.deepEqual(batched, await oneByOne(items));
    assert.ok(batched.flat().length > 10, 'planted credentials are found');
  } finally {
    await rm(synth.root, { recursive: true, force: true });
  }
});
