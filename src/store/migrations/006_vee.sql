-- VEE (spec/vee.md): the validated layer, the versioned final series per point and quantity, parameter versions, the
-- editable holiday calendar, manual edits, and the queue of point-days whose inputs changed.
-- Per-slot codes are bytea (one byte per slot; src/vee/types.ts Quality/Method/Reason/Source); values float8[] with
-- NULL for a missing slot, as in interval_raw.

-- Validated layer of one meter channel-day: the rules each slot raised. Recomputed whenever raw data or parameters
-- change; one row per meter, channel and day (the latest computation).
CREATE TABLE vee_validated (
  meter_id        bigint NOT NULL REFERENCES meter (id),
  channel         smallint NOT NULL,
  day             date NOT NULL,
  point_id        bigint NOT NULL REFERENCES metering_point (id),
  quantity_code   smallint NOT NULL,
  -- V01 refusal (the whole channel-day unusable), else NULL.
  refused         text,
  -- Per slot: bitmask of rules raised (4 bytes per slot, little-endian uint32), highest severity, reason code.
  rules           bytea NOT NULL,
  severity        bytea NOT NULL,
  reason          bytea NOT NULL,
  computed_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meter_id, channel, day)
);
CREATE INDEX vee_validated_point_day ON vee_validated (point_id, day);

-- Findings and rule outcomes of one point-day's validation, with the parameter versions that were in force.
CREATE TABLE vee_validation (
  point_id        bigint NOT NULL REFERENCES metering_point (id),
  day             date NOT NULL,
  findings        jsonb NOT NULL DEFAULT '[]',
  outcomes        jsonb NOT NULL DEFAULT '[]',
  params_applied  jsonb NOT NULL DEFAULT '[]',
  computed_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (point_id, day)
);

-- Final layer: every version of every point/quantity/day series. Exactly one current version (superseded_at NULL)
-- per series; a new version supersedes it and the old one stays as history. A locked version (used by an export or
-- a bill) never changes; VEE still writes a newer version beside it and whoever locked it sees it is stale.
CREATE TABLE vee_final (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  point_id        bigint NOT NULL REFERENCES metering_point (id),
  quantity_code   smallint NOT NULL,
  day             date NOT NULL,
  version         integer NOT NULL CHECK (version >= 1),
  interval_s      integer NOT NULL,
  slots           smallint NOT NULL,
  unit            text NOT NULL,
  value           double precision[] NOT NULL,
  quality         bytea NOT NULL,
  method          bytea NOT NULL,
  reason          bytea NOT NULL,
  source          bytea NOT NULL,
  notes           jsonb NOT NULL DEFAULT '{}',
  -- Counts per quality (N, A, S, E, M) and total energy: summaries without unpacking the arrays.
  counts          integer[] NOT NULL,
  energy          double precision NOT NULL,
  -- What made this version: 'vee' (a run), 'edit:<manual_edit id>', 'reversal:<manual_edit id>'.
  cause           text NOT NULL DEFAULT 'vee',
  created_at      timestamptz NOT NULL DEFAULT now(),
  superseded_at   timestamptz,
  locked_at       timestamptz,
  -- Who locked it: 'export:<id>', 'bill:<id>', 'user:<name>'.
  locked_by       text,
  UNIQUE (point_id, quantity_code, day, version)
);
CREATE UNIQUE INDEX vee_final_current ON vee_final (point_id, quantity_code, day) WHERE superseded_at IS NULL;
CREATE INDEX vee_final_day ON vee_final (day, point_id) WHERE superseded_at IS NULL;

-- Parameter versions (src/vee/params.ts): the complete override set of a scope from effective_from on.
CREATE TABLE vee_param_version (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scope           text NOT NULL CHECK (scope = 'global' OR scope ~ '^(group|point):.+$'),
  effective_from  date NOT NULL,
  params          jsonb NOT NULL,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  comment         text
);
CREATE INDEX vee_param_version_scope ON vee_param_version (scope, effective_from);

-- The holiday calendar (src/vee/calendar.ts HolidayCalendarSpec): every saved spec is kept; the newest is in force.
CREATE TABLE vee_calendar (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  spec            jsonb NOT NULL,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  comment         text
);

-- Manual edits by an analyst (src/vee/edits.ts). Applied over every VEE run of the day until reversed.
CREATE TABLE vee_manual_edit (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  point_id        bigint NOT NULL REFERENCES metering_point (id),
  quantity_code   smallint NOT NULL,
  day             date NOT NULL,
  first_slot      smallint NOT NULL CHECK (first_slot >= 0),
  last_slot       smallint NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('replace', 'interpolate', 'copy_retaguarda', 'accept')),
  -- replace: one value per slot first_slot … last_slot; otherwise NULL.
  edit_values     double precision[],
  comment         text NOT NULL CHECK (length(btrim(comment)) > 0),
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  reversed_at     timestamptz,
  reversed_by     text,
  reverse_comment text,
  CHECK (last_slot >= first_slot),
  CHECK (reversed_at IS NULL OR (reversed_by IS NOT NULL AND length(btrim(coalesce(reverse_comment, ''))) > 0))
);
CREATE INDEX vee_manual_edit_series ON vee_manual_edit (point_id, quantity_code, day);

-- Point-days whose inputs changed (ingest, events, edits, parameter changes) and need a VEE run. A run claims rows
-- and deletes them in the same transaction that writes the results; a mark newer than the claim survives.
CREATE TABLE vee_dirty (
  point_id        bigint NOT NULL REFERENCES metering_point (id),
  day             date NOT NULL,
  reason          text NOT NULL,
  marked_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (point_id, day)
);
CREATE INDEX vee_dirty_marked ON vee_dirty (marked_at);
-- claimDirty takes the oldest days first.
CREATE INDEX vee_dirty_day ON vee_dirty (day, point_id);
