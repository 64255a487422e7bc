import type { ConfigSource, ServerEntry } from '../../../shared/model/discovery.js';

/**
 * Internal (service-side) view of what discovery parsed. It carries raw values so the findings
 * engine can inspect them; it never leaves the services layer. Outputs use `ServerEntry`, which is
 * masked and carries key names only.
 */

/** One string leaf of a parsed config file, with where it sits. */
export interface StringLeaf {
  /** RFC 6901 pointer (TOML/YAML use the same notation, list items by index). */
  pointer: string;
  /** The last key (or index) of the pointer. */
  key: string;
  value: string;
  /** 1-based line of the value. */
  line: number;
  /**
   * Offset and length of the value's token in the file text when known: the token as written,
   * quotes included (`"ghp_…"` in JSON/TOML, `'…'` or a plain scalar in YAML). Values reached
   * through a YAML alias carry the position of the anchored value.
   */
  offset?: number;
  length?: number;
}

/** A config file as parsed: its public status, its text and every string leaf. */
export interface ParsedSource {
  source: ConfigSource;
  /** File text (absent when unreadable). Never emitted. */
  text?: string;
  /** All string leaves of the document (empty when it could not be read or parsed; present for unsupported shapes). */
  leaves: StringLeaf[];
  /** Mode bits of the file, for the permissions rule. */
  mode?: number;
}

/** A server as found, with its raw values and the pointer of each field. */
export interface RawServer {
  /** The public, masked projection. */
  entry: ServerEntry;
  raw: {
    command?: string;
    args?: string[];
    url?: string;
    cwd?: string;
    env: Record<string, string>;
    headers: Record<string, string>;
    /** Codex `env_http_headers`: header name -> name of the env var holding its value (a reference). */
    headerEnv?: Record<string, string>;
    /** Codex `bearer_token_env_var`: name of the env var holding the bearer token (a reference). */
    bearerTokenEnvVar?: string;
  };
  /**
   * The credential values masking hid in `entry.command`, `entry.args` (per index) and `entry.url`:
   * the detector reads them instead of masking the same values again (absent: it masks them).
   * Never emitted.
   */
  hidden?: {
    command?: readonly string[];
    args?: ReadonlyArray<readonly string[]>;
    url?: readonly string[];
  };
  /** Pointers of each raw field (args per index; env/headers per key). */
  pointers: {
    command?: string;
    args?: string[];
    url?: string;
    env: Record<string, string>;
    headers: Record<string, string>;
  };
}

export interface DiscoveryScan {
  sources: ParsedSource[];
  servers: RawServer[];
}
