import { z } from 'zod';
import { PLATFORMS } from './enums.js';

/** Client ids from shared/reference/client-configs.md: stable across CLI, UI and the store. */
export const CLIENT_IDS = [
  'claude-desktop',
  'claude-code',
  'cursor',
  'vscode',
  'vscode-insiders',
  'windsurf',
  'cline',
  'roo-code',
  'kilo-code',
  'continue',
  'zed',
  'gemini-cli',
  'codex',
  'copilot-cli',
  'kiro',
  'amazon-q',
  'lm-studio',
  'goose',
  'opencode',
  'junie',
  'antigravity',
] as const;
export const ClientId = z.enum(CLIENT_IDS);
export type ClientId = z.infer<typeof ClientId>;

export const Platform = z.enum(PLATFORMS);
export type Platform = z.infer<typeof Platform>;

export const Scope = z.enum(['user', 'project', 'managed']);
export type Scope = z.infer<typeof Scope>;

export const SourceStatus = z.enum(['ok', 'parse-error', 'unreadable', 'unsupported']);
export type SourceStatus = z.infer<typeof SourceStatus>;

/** One configuration file that discovery looked at (only files that exist are listed). */
export const ConfigSource = z.object({
  client: ClientId,
  /** Absolute path of the file. */
  path: z.string(),
  scope: Scope,
  status: SourceStatus,
  /** Human-readable reason when status is not ok. */
  error: z.string().optional(),
  /** 1-based line of a parse error. */
  line: z.number().int().positive().optional(),
});
export type ConfigSource = z.infer<typeof ConfigSource>;

export const Transport = z.enum(['stdio', 'http', 'sse', 'unknown']);
export type Transport = z.infer<typeof Transport>;

/**
 * One configured MCP server, as every output sees it: credential-bearing args and URLs are
 * already masked, env and header values are never carried (key names only).
 */
export const ServerEntry = z.object({
  /** Stable id: hash of client, source file and pointer. */
  id: z.string(),
  name: z.string(),
  client: ClientId,
  scope: Scope,
  /** Absolute path of the file the entry was found in. */
  source: z.string(),
  /** RFC 6901 JSON Pointer of the entry inside its file (TOML/YAML use the same notation). */
  pointer: z.string(),
  transport: Transport,
  command: z.string().optional(),
  args: z.array(z.string()).optional(),
  url: z.string().optional(),
  cwd: z.string().optional(),
  envKeys: z.array(z.string()),
  headerKeys: z.array(z.string()),
  disabled: z.boolean(),
  /** For Claude Code local scope: the project folder the entry belongs to. */
  project: z.string().optional(),
  /** Why the transport is unknown, or other per-entry problems that did not sink the entry. */
  problems: z.array(z.string()).optional(),
});
export type ServerEntry = z.infer<typeof ServerEntry>;

export const DiscoveryResult = z.object({
  sources: z.array(ConfigSource),
  servers: z.array(ServerEntry),
});
export type DiscoveryResult = z.infer<typeof DiscoveryResult>;

/** Where discovery looks; every field defaults to the real workstation. */
export const DiscoveryOptions = z.object({
  home: z.string().optional(),
  platform: Platform.optional(),
  projects: z.array(z.string()).optional(),
  systemRoot: z.string().optional(),
});
export type DiscoveryOptions = z.infer<typeof DiscoveryOptions>;

/** A stored discovery run. */
export const DiscoveryRun = z.object({
  id: z.number().int(),
  startedAt: z.string(),
  durationMs: z.number(),
  result: DiscoveryResult,
});
export type DiscoveryRun = z.infer<typeof DiscoveryRun>;
