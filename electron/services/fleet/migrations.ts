/**
 * Team-store migrations, per dialect, numbered like the local store's: a migration is applied once,
 * in order, inside one transaction, and recorded in `fleet_migrations`. Never edit a released
 * migration; add the next number. Only PostgreSQL is a team-store dialect today (SQLite is the
 * embedded per-workstation store, electron/services/store).
 *
 * Roles (cluster-wide, created NOLOGIN if missing; login roles are granted into them):
 * - the owner (whoever runs the migrations) owns the tables and is the only one who can change the
 *   admin log;
 * - `gatehouse_admin` reads every fleet table and may append to the admin log and enroll machines;
 * - `gatehouse_reporter` may insert/update rows of the machines it is enrolled for only: row-level
 *   security compares each row's machine id with `machine_reporters`, keyed by `current_user` (the
 *   authenticated login role), never by a session setting a client could set to anything.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const ADMIN_ROLE = 'gatehouse_admin';
export const REPORTER_ROLE = 'gatehouse_reporter';

const OWN_MACHINE = `EXISTS (SELECT 1 FROM machine_reporters r WHERE r.machine_id = machine_id AND r.role_name = current_user)`;

/** The searchable text of an audit event (same fields as the local FTS5 body). */
const BODY_FIELDS = [
  'tenant',
  'user_id',
  'client',
  'method',
  'server',
  'tool',
  'prompt',
  'resource_uri',
  'reason',
  'error_type',
  'session_id',
  'source_record_id',
]
  .map((c) => `coalesce(${c}, '')`)
  .join(` || ' ' || `);

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'fleet: machines, scans, servers, findings, admin log, roles and row-level security',
    sql: `
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ADMIN_ROLE}') THEN CREATE ROLE ${ADMIN_ROLE} NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${REPORTER_ROLE}') THEN CREATE ROLE ${REPORTER_ROLE} NOLOGIN; END IF;
END $$;

-- The key workstations use for team fingerprints (HMAC of a credential), so one credential copied
-- to several machines has one fingerprint fleet-wide. Never a credential itself.
CREATE TABLE team_keys (
  name text PRIMARY KEY,
  key_hex text NOT NULL CHECK (key_hex ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Which login role reports for which machine (written by admins: gatehouse fleet enroll).
CREATE TABLE machine_reporters (
  machine_id text PRIMARY KEY,
  role_name name NOT NULL,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  enrolled_by name NOT NULL DEFAULT current_user
);
CREATE INDEX machine_reporters_role ON machine_reporters (role_name);

CREATE TABLE machines (
  machine_id text PRIMARY KEY CHECK (machine_id ~ '^[A-Za-z0-9._:@-]{1,128}$'),
  hostname text NOT NULL,
  os_user text NOT NULL,
  platform text NOT NULL,
  first_report timestamptz NOT NULL,
  last_scan_at timestamptz NOT NULL,
  last_received_at timestamptz NOT NULL DEFAULT now(),
  latest_scan_id bigint
);

-- One row per report; a repeated report of the same scan conflicts on the unique key.
CREATE TABLE scans (
  scan_id bigserial PRIMARY KEY,
  machine_id text NOT NULL REFERENCES machines DEFERRABLE INITIALLY DEFERRED,
  scanned_at timestamptz NOT NULL,
  content_hash text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  received_at timestamptz NOT NULL DEFAULT now(),
  hostname text NOT NULL,
  os_user text NOT NULL,
  gatehouse_version text NOT NULL,
  server_count integer NOT NULL,
  open_findings integer NOT NULL,
  open_critical integer NOT NULL,
  open_high integer NOT NULL,
  open_medium integer NOT NULL,
  open_low integer NOT NULL,
  open_info integer NOT NULL,
  UNIQUE (machine_id, scanned_at, content_hash)
);
CREATE INDEX scans_machine_time ON scans (machine_id, scanned_at DESC);
CREATE INDEX scans_time ON scans (scanned_at);

CREATE TABLE scan_servers (
  scan_id bigint NOT NULL REFERENCES scans ON DELETE CASCADE,
  machine_id text NOT NULL,
  server_id text NOT NULL,
  name text NOT NULL,
  client text NOT NULL,
  scope text NOT NULL,
  transport text NOT NULL,
  command text,
  url text,
  ecosystem text,
  package text,
  version text,
  disabled boolean NOT NULL DEFAULT false,
  PRIMARY KEY (scan_id, server_id)
);
CREATE INDEX scan_servers_name ON scan_servers (name);
CREATE INDEX scan_servers_package ON scan_servers (package, version);

CREATE TABLE scan_findings (
  scan_id bigint NOT NULL REFERENCES scans ON DELETE CASCADE,
  machine_id text NOT NULL,
  finding_id text NOT NULL,
  rule_id text NOT NULL,
  severity text NOT NULL,
  status text NOT NULL,
  title text NOT NULL,
  client text NOT NULL,
  server text NOT NULL,
  server_id text,
  file text NOT NULL,
  pointer text NOT NULL,
  evidence text,
  fingerprint text CHECK (fingerprint IS NULL OR fingerprint ~ '^tf1:[0-9a-f]{32}$'),
  secret_type text,
  first_seen timestamptz,
  PRIMARY KEY (scan_id, finding_id)
);
CREATE INDEX scan_findings_fingerprint ON scan_findings (fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX scan_findings_rule ON scan_findings (rule_id);

-- Append-only: admins may INSERT and SELECT; nobody but the owner holds UPDATE/DELETE/TRUNCATE,
-- and each row carries the hash of the previous one (hash chain, checked by verifyAdminLog).
CREATE TABLE admin_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL DEFAULT current_user,
  action text NOT NULL,
  target text,
  detail jsonb,
  prev_hash text,
  hash text NOT NULL
);

REVOKE ALL ON team_keys, machine_reporters, machines, scans, scan_servers, scan_findings, admin_log FROM PUBLIC;

GRANT SELECT ON team_keys, machine_reporters, machines, scans, scan_servers, scan_findings, admin_log TO ${ADMIN_ROLE};
GRANT INSERT, UPDATE, DELETE ON machine_reporters TO ${ADMIN_ROLE};
GRANT INSERT ON admin_log TO ${ADMIN_ROLE};
GRANT USAGE ON SEQUENCE admin_log_id_seq TO ${ADMIN_ROLE};

GRANT SELECT ON team_keys TO ${REPORTER_ROLE};
GRANT SELECT ON machine_reporters TO ${REPORTER_ROLE};
GRANT SELECT, INSERT, UPDATE ON machines TO ${REPORTER_ROLE};
GRANT SELECT, INSERT ON scans, scan_servers, scan_findings TO ${REPORTER_ROLE};
GRANT USAGE ON SEQUENCE scans_scan_id_seq TO ${REPORTER_ROLE};

ALTER TABLE machine_reporters ENABLE ROW LEVEL SECURITY;
ALTER TABLE machines ENABLE ROW LEVEL SECURITY;
ALTER TABLE scans ENABLE ROW LEVEL SECURITY;
ALTER TABLE scan_servers ENABLE ROW LEVEL SECURITY;
ALTER TABLE scan_findings ENABLE ROW LEVEL SECURITY;

CREATE POLICY admin_all ON machine_reporters TO ${ADMIN_ROLE} USING (true) WITH CHECK (true);
CREATE POLICY reporter_own ON machine_reporters FOR SELECT TO ${REPORTER_ROLE} USING (role_name = current_user);
${['machines', 'scans', 'scan_servers', 'scan_findings']
  .map(
    (t) => `CREATE POLICY admin_read ON ${t} FOR SELECT TO ${ADMIN_ROLE} USING (true);
CREATE POLICY reporter_own ON ${t} TO ${REPORTER_ROLE} USING (${OWN_MACHINE.replace('r.machine_id = machine_id', `r.machine_id = ${t}.machine_id`)}) WITH CHECK (${OWN_MACHINE.replace('r.machine_id = machine_id', `r.machine_id = ${t}.machine_id`)});`,
  )
  .join('\n')}
`,
  },
  {
    version: 2,
    name: 'team state: suppressions, policy documents and versions, gateway settings (row versions)',
    sql: `
-- Shared by every admin of the team. Mutable rows carry row_version (optimistic concurrency: a
-- write names the version it read; a moved row is a conflict, never a silent overwrite) and who
-- changed them last. No column holds a credential: gateway credentials stay in each admin's OS
-- secret store.
CREATE TABLE team_suppressions (
  id text PRIMARY KEY,
  rule_id text NOT NULL,
  file text NOT NULL,
  pointer text NOT NULL,
  fingerprint text,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  created_at text NOT NULL,
  expires_at text,
  actor text NOT NULL,
  row_version integer NOT NULL DEFAULT 1,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Content-addressed documents (hash of the canonical JSON) and the append-only version history.
CREATE TABLE team_policy_documents (
  hash text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
  document_json text NOT NULL
);
CREATE TABLE team_policy_versions (
  id bigserial PRIMARY KEY,
  hash text NOT NULL REFERENCES team_policy_documents,
  parent text,
  author text NOT NULL,
  message text NOT NULL,
  created_at text NOT NULL,
  gateway_id text,
  gateway_name text,
  origin text NOT NULL CHECK (origin IN ('pull', 'push', 'rollback', 'import')),
  changes integer NOT NULL
);
CREATE INDEX team_policy_versions_gateway ON team_policy_versions (gateway_id, id DESC);
CREATE INDEX team_policy_versions_hash ON team_policy_versions (hash, id DESC);

CREATE TABLE team_gateway_settings (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  kind text NOT NULL,
  base_url text NOT NULL,
  auth_type text NOT NULL,
  username text,
  ca_file text,
  timeout_ms integer NOT NULL,
  sso_issuer text,
  sso_provider_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  row_version integer NOT NULL DEFAULT 1,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

REVOKE ALL ON team_suppressions, team_policy_documents, team_policy_versions, team_gateway_settings FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON team_suppressions, team_gateway_settings TO ${ADMIN_ROLE};
-- Policy history is append-only for admins too.
GRANT SELECT, INSERT ON team_policy_documents, team_policy_versions TO ${ADMIN_ROLE};
GRANT USAGE ON SEQUENCE team_policy_versions_id_seq TO ${ADMIN_ROLE};
`,
  },
  {
    version: 3,
    name: 'fleet: server counts maintained at report time (servers overview)',
    sql: `
-- The servers overview ("which servers run on how many machines") as counts kept current when a
-- machine's latest scan changes, instead of aggregating every machine's servers on each read.
-- Key: each machine counts once per (name, package, version), under its lowest transport; '' stands
-- for NULL so the key can be a primary key.
CREATE TABLE fleet_server_counts (
  name text NOT NULL,
  package text NOT NULL,
  version text NOT NULL,
  transport text NOT NULL,
  -- No CHECK (>= 0): it would be tested on the proposed row (a -1 delta) before ON CONFLICT merges it.
  machine_count integer NOT NULL,
  PRIMARY KEY (name, package, version, transport)
);
REVOKE ALL ON fleet_server_counts FROM PUBLIC;
GRANT SELECT ON fleet_server_counts TO ${ADMIN_ROLE};

-- One machine's contribution of a scan: its distinct keys, each under its lowest transport.
CREATE FUNCTION fleet_scan_keys(p_scan bigint)
RETURNS TABLE (name text, package text, version text, transport text)
LANGUAGE sql STABLE AS $f$
  SELECT v.name, coalesce(v.package, ''), coalesce(v.version, ''), min(v.transport)
  FROM scan_servers v WHERE v.scan_id = p_scan
  GROUP BY v.name, coalesce(v.package, ''), coalesce(v.version, '')
$f$;

-- Runs as the owner (SECURITY DEFINER): reporters never hold a grant on the counts, so they can
-- move them only by reporting their own machine. Deltas are applied in key order, so concurrent
-- reports lock shared rows in the same order (no deadlock).
CREATE FUNCTION fleet_server_counts_follow() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE
  old_scan bigint := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN OLD.latest_scan_id END;
  new_scan bigint := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN NEW.latest_scan_id END;
BEGIN
  IF old_scan IS NOT DISTINCT FROM new_scan THEN RETURN NULL; END IF;
  INSERT INTO fleet_server_counts AS c (name, package, version, transport, machine_count)
  SELECT d.name, d.package, d.version, d.transport, d.delta FROM (
    SELECT k.name, k.package, k.version, k.transport, sum(k.delta)::int AS delta FROM (
      SELECT o.*, -1 AS delta FROM fleet_scan_keys(old_scan) o WHERE old_scan IS NOT NULL
      UNION ALL
      SELECT n.*, 1 AS delta FROM fleet_scan_keys(new_scan) n WHERE new_scan IS NOT NULL
    ) k GROUP BY k.name, k.package, k.version, k.transport
  ) d WHERE d.delta <> 0
  ORDER BY d.name, d.package, d.version, d.transport
  ON CONFLICT (name, package, version, transport) DO UPDATE SET machine_count = c.machine_count + EXCLUDED.machine_count;
  RETURN NULL;
END $f$;
REVOKE ALL ON FUNCTION fleet_server_counts_follow() FROM PUBLIC;

CREATE TRIGGER machines_server_counts AFTER INSERT OR UPDATE OF latest_scan_id OR DELETE ON machines
  FOR EACH ROW EXECUTE FUNCTION fleet_server_counts_follow();

-- Existing data.
INSERT INTO fleet_server_counts (name, package, version, transport, machine_count)
SELECT k.name, k.package, k.version, k.transport, count(*)::int
FROM machines m CROSS JOIN LATERAL fleet_scan_keys(m.latest_scan_id) k
GROUP BY k.name, k.package, k.version, k.transport;
`,
  },
  {
    version: 4,
    name: 'audit timeline at team scale: events partitioned by month, tsvector + GIN, retention by partition',
    sql: `
-- The same normalized, masked events as the local timeline (sealed before they are sent), in
-- monthly range partitions of ts: retention drops whole partitions (no DELETE, no bloat), and
-- queries bounded in time touch only their months. A unique key must contain the partition key, so
-- the dedupe key is (uid, ts): a record's uid comes from its source record id (or content) and its
-- time, so a re-sent record collides with itself.
CREATE SEQUENCE audit_events_id_seq;
CREATE TABLE audit_events (
  id bigint NOT NULL DEFAULT nextval('audit_events_id_seq'),
  uid bigint NOT NULL,
  ts timestamptz NOT NULL,
  source text NOT NULL,
  source_kind text NOT NULL,
  source_record_id text,
  tenant text,
  user_id text,
  client text,
  client_address text,
  method text,
  server text,
  tool text,
  prompt text,
  resource_uri text,
  outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'error')),
  reason text,
  error_type text,
  duration_ms double precision,
  request_id text,
  session_id text,
  original text,
  -- Tokens are the letter/digit runs (punctuation is a separator), as in the local FTS5 index, so
  -- a search for an e-mail or a path means the same thing on both backends.
  -- (|| and coalesce, not concat_ws: a generated column needs an immutable expression.)
  body tsvector GENERATED ALWAYS AS (to_tsvector('simple', regexp_replace(
    ${BODY_FIELDS}, '[^[:alnum:]]+', ' ', 'g'))) STORED,
  UNIQUE (uid, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX audit_events_page ON audit_events (ts DESC, id DESC);
CREATE INDEX audit_events_tenant ON audit_events (tenant, ts);
CREATE INDEX audit_events_user ON audit_events (user_id, ts);
CREATE INDEX audit_events_server ON audit_events (server, ts);
CREATE INDEX audit_events_tool ON audit_events (tool, ts);
CREATE INDEX audit_events_outcome ON audit_events (outcome, ts);
CREATE INDEX audit_events_body ON audit_events USING gin (body);

-- Monthly partitions on demand (ingest calls this for the months of a batch), as the owner.
CREATE FUNCTION audit_ensure_partitions(lo timestamptz, hi timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE
  m date := date_trunc('month', lo AT TIME ZONE 'UTC')::date;
  made integer := 0;
  part text;
BEGIN
  IF hi - lo > interval '10 years' THEN RAISE EXCEPTION 'audit batch spans more than 10 years'; END IF;
  WHILE m <= (hi AT TIME ZONE 'UTC')::date LOOP
    part := format('audit_events_%s', to_char(m, 'YYYY_MM'));
    IF to_regclass(part) IS NULL THEN
      -- Two ingest chunks may both find the month missing: one creates it, the other's attempt
      -- fails harmlessly (an advisory lock does not refresh the catalog cache, so catch instead).
      BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)', part,
          (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
        made := made + 1;
      EXCEPTION WHEN duplicate_table OR unique_violation OR invalid_object_definition THEN
        NULL;
      END;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN made;
END $f$;

-- Retention: drops every monthly partition that ends on or before the cutoff; returns their names.
CREATE FUNCTION audit_drop_partitions_before(cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'audit_events'::regclass AND c.relname ~ '^audit_events_[0-9]{4}_[0-9]{2}$'
    ORDER BY c.relname
  LOOP
    IF (to_date(substring(r.relname from 14), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= cutoff THEN
      EXECUTE format('DROP TABLE %I', r.relname);
      RETURN NEXT r.relname;
    END IF;
  END LOOP;
END $f$;

REVOKE ALL ON audit_events FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_ensure_partitions(timestamptz, timestamptz), audit_drop_partitions_before(timestamptz) FROM PUBLIC;
-- Admins ingest and read; nobody but the owner updates or deletes single events.
GRANT SELECT, INSERT ON audit_events TO ${ADMIN_ROLE};
GRANT USAGE ON SEQUENCE audit_events_id_seq TO ${ADMIN_ROLE};
GRANT EXECUTE ON FUNCTION audit_ensure_partitions(timestamptz, timestamptz), audit_drop_partitions_before(timestamptz) TO ${ADMIN_ROLE};
`,
  },
  {
    version: 5,
    name: 'audit at team scale: rollups (per minute, per day × facet value) and newest-first indexes per filter column',
    sql: `
-- What the local timeline does to meet its query targets: counts kept at ingest, so the open-range
-- histogram and facets read thousands of rollup rows instead of millions of events. Maintained in
-- the ingest chunk's transaction from the rows actually inserted (RETURNING), so a re-sent chunk
-- counts nothing twice. '' stands for NULL in value (primary key).
CREATE TABLE audit_minutes (
  minute timestamptz NOT NULL,
  outcome text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (minute, outcome)
);
CREATE TABLE audit_facet_days (
  day date NOT NULL,
  dim text NOT NULL,
  value text NOT NULL,
  outcome text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (dim, day, value, outcome)
);
REVOKE ALL ON audit_minutes, audit_facet_days FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON audit_minutes, audit_facet_days TO ${ADMIN_ROLE};

-- Filtered pages walk one column's index newest first (no sort of every match).
DROP INDEX audit_events_tenant, audit_events_user, audit_events_server, audit_events_tool, audit_events_outcome;
CREATE INDEX audit_events_tenant ON audit_events (tenant, ts DESC, id DESC);
CREATE INDEX audit_events_user ON audit_events (user_id, ts DESC, id DESC);
CREATE INDEX audit_events_client ON audit_events (client, ts DESC, id DESC);
CREATE INDEX audit_events_server ON audit_events (server, ts DESC, id DESC);
CREATE INDEX audit_events_tool ON audit_events (tool, ts DESC, id DESC);
CREATE INDEX audit_events_outcome ON audit_events (outcome, ts DESC, id DESC);

-- Retention also drops the rollups of the months it drops.
CREATE OR REPLACE FUNCTION audit_drop_partitions_before(cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE r record; month_end timestamptz;
BEGIN
  FOR r IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'audit_events'::regclass AND c.relname ~ '^audit_events_[0-9]{4}_[0-9]{2}$'
    ORDER BY c.relname
  LOOP
    month_end := (to_date(substring(r.relname from 14), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    IF month_end <= cutoff THEN
      EXECUTE format('DROP TABLE %I', r.relname);
      DELETE FROM audit_minutes WHERE minute < month_end;
      DELETE FROM audit_facet_days WHERE day < (month_end AT TIME ZONE 'UTC')::date;
      RETURN NEXT r.relname;
    END IF;
  END LOOP;
END $f$;
`,
  },
  {
    version: 6,
    name: 'audit at team scale: id index (one event by id), outcome in the per-column indexes, rollups per hour and per facet value (open-range histogram and facets)',
    sql: `
-- get(id) probes one small index per partition instead of scanning a whole one (the id is not in
-- the partition key, so every month is probed; ids come from a sequence, so inserts append).
CREATE INDEX audit_events_id ON audit_events (id);

-- The per-column indexes carry the outcome: a histogram or a count under one column's values (with
-- or without an outcome) is then an index-only scan (ts and outcome from the index), not a heap
-- visit per event (one tenant of 1M events: 61 ms instead of 561 ms).
DROP INDEX audit_events_tenant, audit_events_user, audit_events_client, audit_events_server, audit_events_tool;
CREATE INDEX audit_events_tenant ON audit_events (tenant, ts DESC, id DESC) INCLUDE (outcome);
CREATE INDEX audit_events_user ON audit_events (user_id, ts DESC, id DESC) INCLUDE (outcome);
CREATE INDEX audit_events_client ON audit_events (client, ts DESC, id DESC) INCLUDE (outcome);
CREATE INDEX audit_events_server ON audit_events (server, ts DESC, id DESC) INCLUDE (outcome);
CREATE INDEX audit_events_tool ON audit_events (tool, ts DESC, id DESC) INCLUDE (outcome);

-- Coarser rollups beside the per-minute and per-day ones, kept in the same ingest statement: a
-- histogram in whole hours reads hours (720 rows a month, not 43,200), and facets over the whole
-- timeline read one row per value and outcome (not one per value, outcome and day).
CREATE TABLE audit_hours (
  hour timestamptz NOT NULL,
  outcome text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (hour, outcome)
);
CREATE TABLE audit_facet_totals (
  dim text NOT NULL,
  value text NOT NULL,
  outcome text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (dim, value, outcome)
);
-- Every rollup recomputed from the events once (migration 5 started its rollups empty, so events
-- stored before it were missing from them; counts over the whole timeline now read the rollups).
TRUNCATE audit_minutes, audit_facet_days;
INSERT INTO audit_minutes (minute, outcome, n)
  SELECT date_trunc('minute', ts, 'UTC'), outcome, count(*) FROM audit_events GROUP BY 1, 2;
INSERT INTO audit_facet_days (dim, day, value, outcome, n)
  SELECT v.dim, (e.ts AT TIME ZONE 'UTC')::date, coalesce(v.value, ''), e.outcome, count(*)
  FROM audit_events e CROSS JOIN LATERAL (VALUES ('tenant', e.tenant), ('subject', e.user_id), ('client', e.client),
    ('server', e.server), ('tool', e.tool), ('method', e.method), ('source', e.source)) AS v(dim, value)
  GROUP BY 1, 2, 3, 4;
INSERT INTO audit_hours (hour, outcome, n)
  SELECT date_trunc('hour', minute, 'UTC'), outcome, sum(n) FROM audit_minutes GROUP BY 1, 2;
INSERT INTO audit_facet_totals (dim, value, outcome, n)
  SELECT dim, value, outcome, sum(n) FROM audit_facet_days GROUP BY 1, 2, 3;
REVOKE ALL ON audit_hours, audit_facet_totals FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON audit_hours, audit_facet_totals TO ${ADMIN_ROLE};

-- Retention takes the dropped months out of every rollup.
CREATE OR REPLACE FUNCTION audit_drop_partitions_before(cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE r record; month_end timestamptz;
BEGIN
  FOR r IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'audit_events'::regclass AND c.relname ~ '^audit_events_[0-9]{4}_[0-9]{2}$'
    ORDER BY c.relname
  LOOP
    month_end := (to_date(substring(r.relname from 14), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    IF month_end <= cutoff THEN
      EXECUTE format('DROP TABLE %I', r.relname);
      UPDATE audit_facet_totals t SET n = t.n - d.n FROM (
        SELECT dim, value, outcome, sum(n) AS n FROM audit_facet_days
        WHERE day < (month_end AT TIME ZONE 'UTC')::date GROUP BY 1, 2, 3
      ) d WHERE (t.dim, t.value, t.outcome) = (d.dim, d.value, d.outcome);
      DELETE FROM audit_facet_totals WHERE n <= 0;
      DELETE FROM audit_minutes WHERE minute < month_end;
      DELETE FROM audit_hours WHERE hour < month_end;
      DELETE FROM audit_facet_days WHERE day < (month_end AT TIME ZONE 'UTC')::date;
      RETURN NEXT r.relname;
    END IF;
  END LOOP;
END $f$;
`,
  },
  {
    // Numbered 100+ so it never collides with the audit migrations (6, 7, …) developed alongside.
    version: 101,
    name: 'fleet: shared credentials over a (fingerprint, machine) projection of the latest scans',
    sql: `
-- The shared-credentials view ("which team fingerprints are on several machines") reads one row per
-- (fingerprint, machine) of each machine's latest scan, kept current when latest_scan_id changes,
-- instead of joining every finding and sorting it for count(DISTINCT): read in key order, grouped
-- without a sort. Per machine: its findings with that fingerprint and their least secret type and
-- evidence, so the fleet-wide values (min of mins, sum of counts) are exactly the direct ones.
CREATE TABLE fleet_fingerprint_machines (
  fingerprint text NOT NULL,
  machine_id text NOT NULL,
  finding_count integer NOT NULL,
  secret_type text,
  evidence text,
  PRIMARY KEY (fingerprint, machine_id)
);
CREATE INDEX fleet_fingerprint_machines_machine ON fleet_fingerprint_machines (machine_id);
REVOKE ALL ON fleet_fingerprint_machines FROM PUBLIC;
GRANT SELECT ON fleet_fingerprint_machines TO ${ADMIN_ROLE};

-- Owner's rights (like fleet_server_counts_follow): reporters hold no grant on the projection and
-- move it only by reporting their own machine. A machine's rows are replaced as a whole.
CREATE FUNCTION fleet_fingerprint_machines_follow() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.latest_scan_id IS NOT DISTINCT FROM NEW.latest_scan_id THEN RETURN NULL; END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM fleet_fingerprint_machines WHERE machine_id = OLD.machine_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.latest_scan_id IS NOT NULL THEN
    INSERT INTO fleet_fingerprint_machines (fingerprint, machine_id, finding_count, secret_type, evidence)
    SELECT f.fingerprint, NEW.machine_id, count(*)::int, min(f.secret_type), min(f.evidence)
    FROM scan_findings f WHERE f.scan_id = NEW.latest_scan_id AND f.fingerprint IS NOT NULL
    GROUP BY f.fingerprint;
  END IF;
  RETURN NULL;
END $f$;
REVOKE ALL ON FUNCTION fleet_fingerprint_machines_follow() FROM PUBLIC;

CREATE TRIGGER machines_fingerprint_machines AFTER INSERT OR UPDATE OF latest_scan_id OR DELETE ON machines
  FOR EACH ROW EXECUTE FUNCTION fleet_fingerprint_machines_follow();

-- Existing data.
INSERT INTO fleet_fingerprint_machines (fingerprint, machine_id, finding_count, secret_type, evidence)
SELECT f.fingerprint, m.machine_id, count(*)::int, min(f.secret_type), min(f.evidence)
FROM machines m JOIN scan_findings f ON f.scan_id = m.latest_scan_id
WHERE f.fingerprint IS NOT NULL
GROUP BY f.fingerprint, m.machine_id;
`,
  },
  {
    version: 102,
    name: "fleet: the fingerprint projection takes only the machine's own findings",
    sql: `
-- A reporter may UPDATE its own machines row, latest_scan_id included, and nothing ties that id
-- to its own scans. The projection trigger runs as the owner (past RLS): pointing at another
-- machine's scan credited that machine's fingerprints to the reporter's machine (the direct query
-- counts the findings' own machine_id). Only findings of the machine whose row changed count now.
CREATE OR REPLACE FUNCTION fleet_fingerprint_machines_follow() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.latest_scan_id IS NOT DISTINCT FROM NEW.latest_scan_id THEN RETURN NULL; END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM fleet_fingerprint_machines WHERE machine_id = OLD.machine_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.latest_scan_id IS NOT NULL THEN
    INSERT INTO fleet_fingerprint_machines (fingerprint, machine_id, finding_count, secret_type, evidence)
    SELECT f.fingerprint, NEW.machine_id, count(*)::int, min(f.secret_type), min(f.evidence)
    FROM scan_findings f
    WHERE f.scan_id = NEW.latest_scan_id AND f.machine_id = NEW.machine_id AND f.fingerprint IS NOT NULL
    GROUP BY f.fingerprint;
  END IF;
  RETURN NULL;
END $f$;
REVOKE ALL ON FUNCTION fleet_fingerprint_machines_follow() FROM PUBLIC;

-- Rows already credited that way are dropped: rebuilt from each machine's own findings.
DELETE FROM fleet_fingerprint_machines;
INSERT INTO fleet_fingerprint_machines (fingerprint, machine_id, finding_count, secret_type, evidence)
SELECT f.fingerprint, m.machine_id, count(*)::int, min(f.secret_type), min(f.evidence)
FROM machines m JOIN scan_findings f ON f.scan_id = m.latest_scan_id AND f.machine_id = m.machine_id
WHERE f.fingerprint IS NOT NULL
GROUP BY f.fingerprint, m.machine_id;
`,
  },
  {
    version: 103,
    name: "fleet: a machine's latest scan must be one of its own scans",
    sql: `
-- RLS lets a reporter update its own machines row, latest_scan_id included; nothing tied that id
-- to the machine's own scans, so pointing it at another machine's scan skewed every projection that
-- follows the pointer (server counts, the direct fleet joins). Refused at the source now. A trigger,
-- not a composite foreign key: scans already reference machines, and a trigger needs no delete order.
CREATE OR REPLACE FUNCTION machines_latest_scan_is_own() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  IF NEW.latest_scan_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM scans s WHERE s.scan_id = NEW.latest_scan_id AND s.machine_id = NEW.machine_id) THEN
    RAISE EXCEPTION 'machine %: latest scan % is not one of its own scans', NEW.machine_id, NEW.latest_scan_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $f$;
REVOKE ALL ON FUNCTION machines_latest_scan_is_own() FROM PUBLIC;
CREATE TRIGGER machines_latest_scan_is_own BEFORE INSERT OR UPDATE OF latest_scan_id, machine_id ON machines
  FOR EACH ROW EXECUTE FUNCTION machines_latest_scan_is_own();

-- Pointers already moved that way go back to the machine's own latest scan (the projections follow).
UPDATE machines m SET latest_scan_id = (
  SELECT s.scan_id FROM scans s WHERE s.machine_id = m.machine_id ORDER BY s.scanned_at DESC, s.scan_id DESC LIMIT 1)
WHERE m.latest_scan_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM scans s WHERE s.scan_id = m.latest_scan_id AND s.machine_id = m.machine_id);
`,
  },
  {
    version: 104,
    name: 'fleet: the admin log records the login role that wrote each entry',
    sql: `
-- The chain's actor is what the client says (the admin's SSO identity or OS account): attribution,
-- not proof, since an admin holds INSERT. The database adds the login role of the session that
-- wrote the row, which the client cannot choose (set by a trigger whatever the INSERT names).
ALTER TABLE admin_log ADD COLUMN db_role text;
CREATE OR REPLACE FUNCTION admin_log_db_role() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
BEGIN
  NEW.db_role := session_user;
  RETURN NEW;
END $f$;
CREATE TRIGGER admin_log_db_role BEFORE INSERT ON admin_log FOR EACH ROW EXECUTE FUNCTION admin_log_db_role();
`,
  },
];
