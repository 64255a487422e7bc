import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import {
  containerPath,
  cursorContext,
  schemaAt,
  schemaCompletion,
  type SchemaNode,
} from '../../renderer/src/pages/policy/schema-assist.js';
import { filterFromParams, auditParams } from '../../renderer/src/pages/audit/filter.js';
import { parsePolicyParams, policyHrefParams } from '../../renderer/src/pages/policy/state.js';

/** The policy editor's schema completion: where the cursor is in the YAML, and what it offers. */

const SCHEMA: SchemaNode = {
  type: 'object',
  properties: {
    apiVersion: { const: 'gatehouse/v1' },
    teams: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          visibility: { enum: ['private', 'public'] },
          members: {
            type: 'array',
            items: { $ref: '#/$defs/member' },
          },
        },
      },
    },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        properties: { actions: { type: 'array', items: { enum: ['call_tool', 'list_tools'] } } },
      },
    },
    guardrails: { type: 'object', properties: { noPublicWriteTools: { type: 'boolean' } } },
  },
  $defs: { member: { type: 'object', properties: { email: { type: 'string' }, role: { enum: ['owner', 'member'] } } } },
} as SchemaNode;

const DOC = `apiVersion: gatehouse/v1
teams:
  - name: Team Red
    visibility: private
    members:
      - email: a@x.io
        role: member
rules:
- actions:
  - call_tool
guardrails:
  noPublicWriteTools: true
`;

function at(marker: string, extra = 0): { state: EditorState; pos: number } {
  const pos = DOC.indexOf(marker) + marker.length + extra;
  return { state: EditorState.create({ doc: DOC }), pos };
}

test('containerPath follows mappings and sequence items by indentation', () => {
  const lines = DOC.split('\n');
  assert.deepEqual(containerPath(lines, 3, 4, null), ['teams', '[]']);
  assert.deepEqual(containerPath(lines, 6, 8, null), ['teams', '[]', 'members', '[]']);
  assert.deepEqual(containerPath(lines, 5, 8, 6), ['teams', '[]', 'members', '[]']);
  assert.deepEqual(containerPath(lines, 9, 4, 2), ['rules', '[]', 'actions', '[]']);
  assert.deepEqual(containerPath(lines, 11, 2, null), ['guardrails']);
});

test('cursorContext: a value after `key: `, a key at the start of a line', () => {
  const v = at('    visibility: ', 2);
  const c = cursorContext(v.state, v.pos);
  assert.equal(c?.kind, 'value');
  assert.deepEqual(c?.path, ['teams', '[]', 'visibility']);
  const r = at('        role: ', 1);
  assert.deepEqual(cursorContext(r.state, r.pos)?.path, ['teams', '[]', 'members', '[]', 'role']);
  assert.deepEqual(schemaAt(SCHEMA, ['teams', '[]', 'members', '[]', 'role'])?.enum, ['owner', 'member']);
});

function complete(doc: string, pos = doc.length): CompletionResult | null {
  const state = EditorState.create({ doc });
  return schemaCompletion(() => SCHEMA)(new CompletionContext(state, pos, true));
}

test('completion offers missing keys of the mapping, values of enums and booleans, and sequence items', () => {
  const keys = complete('teams:\n  - name: Red\n    vi');
  assert.deepEqual(
    keys?.options.map((o) => o.label),
    ['visibility', 'members'],
  );
  assert.deepEqual(
    complete('teams:\n  - name: Red\n    visibility: p')?.options.map((o) => o.label),
    ['private', 'public'],
  );
  assert.deepEqual(
    complete('guardrails:\n  noPublicWriteTools: ')?.options.map((o) => o.label),
    ['true', 'false'],
  );
  assert.deepEqual(
    complete('rules:\n  - actions:\n      - ')?.options.map((o) => o.label),
    ['call_tool', 'list_tools'],
  );
  assert.deepEqual(
    complete('a')?.options.map((o) => o.label),
    ['apiVersion', 'teams', 'rules', 'guardrails'],
  );
});

test('URL state: policy route and audit filter links round-trip', () => {
  assert.deepEqual(parsePolicyParams(policyHrefParams({ gatewayId: 'g1', tab: 'delta', version: 'abc' })), {
    gatewayId: 'g1',
    tab: 'delta',
    version: 'abc',
  });
  assert.deepEqual(parsePolicyParams([]), { gatewayId: '', tab: 'problems', version: '' });
  assert.deepEqual(parsePolicyParams(['-', 'bogus']), { gatewayId: '', tab: 'problems', version: '' });
  assert.deepEqual(filterFromParams(auditParams({ user: ['a@x.io'], tool: 'echo' })), {
    user: ['a@x.io'],
    tool: ['echo'],
  });
});

test('the service schema (zod → JSON Schema) drives completion the same way', async () => {
  const { policyJsonSchema } = await import('../../electron/services/policy/document.js');
  const real = policyJsonSchema() as SchemaNode;
  const labels = (doc: string) =>
    schemaCompletion(() => real)(new CompletionContext(EditorState.create({ doc }), doc.length, true))?.options.map(
      (o) => o.label,
    );
  assert.deepEqual(labels('servers:\n  - name: blue-tools\n    visibility: '), ['private', 'team', 'public']);
  assert.ok(labels('servers:\n  - name: blue-tools\n    vi')?.includes('visibility'));
  assert.deepEqual(labels('rules:\n  - id: r1\n    effect: '), ['allow', 'deny']);
  assert.ok(labels('rules:\n  - id: r1\n    actions:\n      - ')?.includes('call_tool'));
  assert.ok(labels('guardrails:\n  no')?.includes('noPublicWriteTools'));
});
