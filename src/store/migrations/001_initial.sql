-- Fronteira initial schema: registry (points, meters, channels), reading sessions and their raw frames, raw interval
-- data as day blocks, meter events, gaps, parametrization tasks, audit log, line leases.
-- PostgreSQL 15 compatible (PGlite runs 18). Instants are timestamptz (UTC); `day` columns are operating days in
-- Brasília legal time (DESIGN.md).

CREATE TABLE metering_point (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- CCEE SCDE code: 13 characters, upper-case letters and digits (regulatory.md §1.2).
  code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9]{13}$'),
  name            text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('fronteira', 'consumidor_livre', 'consumidor_especial', 'geracao', 'distribuidora')),
  segment         text NOT NULL CHECK (segment IN ('cativo', 'livre', 'geracao', 'faturamento')),
  customer        text,
  substation      text,
  voltage_kv      numeric,
  load_capacity_kw numeric,
  tags            text[] NOT NULL DEFAULT '{}',
  timezone        text NOT NULL DEFAULT 'America/Sao_Paulo',
  retired_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE meter (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  point_id        bigint NOT NULL REFERENCES metering_point (id),
  serial          text NOT NULL CHECK (serial ~ '^[0-9]{1,12}$'),
  manufacturer    text,
  model           text,
  protocol        text NOT NULL DEFAULT 'abnt14522' CHECK (protocol IN ('abnt14522')),
  role            text NOT NULL CHECK (role IN ('principal', 'retaguarda')),
  mm_interval_s   integer NOT NULL DEFAULT 300 CHECK (mm_interval_s IN (60, 300, 600, 900, 1800, 3600)),
  demand_interval_min integer,
  -- How far back the meter's mass memory reaches; gaps older than this are lost.
  memory_days     integer NOT NULL DEFAULT 35 CHECK (memory_days BETWEEN 1 AND 400),
  tp_ratio        double precision NOT NULL DEFAULT 1 CHECK (tp_ratio > 0),
  tc_ratio        double precision NOT NULL DEFAULT 1 CHECK (tc_ratio > 0),
  -- Whether the meter's num/den constant already includes TP×TC (spec §8.6: unconfirmed, so per meter).
  constants_include_ratios boolean NOT NULL DEFAULT true,
  -- [{ "group": 0, "channel": 1, "quantityCode": 1, "numerator": 1, "denominator": 100 }, …]
  channel_map     jsonb NOT NULL DEFAULT '[]',
  valid_from      timestamptz NOT NULL DEFAULT '2000-01-01T00:00:00Z',
  valid_to        timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_to IS NULL OR valid_to > valid_from)
);
-- A serial is one physical meter; it may come back after a swap, so uniqueness is per validity start.
CREATE UNIQUE INDEX meter_serial_valid_from ON meter (serial, valid_from);
CREATE INDEX meter_point ON meter (point_id);

CREATE TABLE comm_channel (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meter_id        bigint NOT NULL REFERENCES meter (id),
  kind            text NOT NULL CHECK (kind IN ('tcp', 'serial')),
  -- tcp://host:port or serial:///dev/ttyX?baud=9600
  address         text NOT NULL,
  reader_serial   text NOT NULL DEFAULT '000001' CHECK (reader_serial ~ '^[0-9]{6}$'),
  directional     boolean NOT NULL DEFAULT false,
  packing         text NOT NULL DEFAULT 'msn-first' CHECK (packing IN ('msn-first', 'lsn-first')),
  -- Password/seed settings and link timer overrides, as given by the utility.
  password        jsonb,
  timers          jsonb NOT NULL DEFAULT '{}',
  -- The physical line or modem: one session at a time per group.
  concurrency_group text NOT NULL,
  priority        integer NOT NULL DEFAULT 0,
  enabled         boolean NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comm_channel_meter ON comm_channel (meter_id);

CREATE TABLE read_session (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meter_id        bigint NOT NULL REFERENCES meter (id),
  channel_id      bigint REFERENCES comm_channel (id),
  purpose         text NOT NULL CHECK (purpose IN ('daily', 'intraday', 'gap', 'manual', 'clock_sync', 'parametrization')),
  sequence        text NOT NULL,
  status          text NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
  started_at      timestamptz NOT NULL,
  ended_at        timestamptz,
  steps           jsonb NOT NULL DEFAULT '[]',
  bytes_in        integer NOT NULL DEFAULT 0,
  bytes_out       integer NOT NULL DEFAULT 0,
  failure_step    text,
  error_code      text,
  error_message   text,
  meter_serial    text,
  drift_s         integer,
  intervals       integer NOT NULL DEFAULT 0,
  job_id          text
);
CREATE INDEX read_session_meter_started ON read_session (meter_id, started_at DESC);

-- Every frame of a session in one packed blob (see store/frames.ts for the layout): one row per session, not per frame.
CREATE TABLE read_session_frames (
  session_id      bigint PRIMARY KEY REFERENCES read_session (id) ON DELETE CASCADE,
  frame_count     integer NOT NULL,
  frames          bytea NOT NULL
);

-- Raw layer (vee.md §1): what each meter returned, one row per meter, channel and operating day.
CREATE TABLE interval_raw (
  meter_id        bigint NOT NULL REFERENCES meter (id),
  -- Meter channel number: 3·group + 1 … 3·group + 3.
  channel         smallint NOT NULL CHECK (channel BETWEEN 1 AND 99),
  day             date NOT NULL,
  interval_s      integer NOT NULL,
  -- Slots in the day (288 at 5 min; 276/300 on old DST days).
  slots           smallint NOT NULL,
  -- Slots holding an actual value: the day is complete when filled = slots.
  filled          smallint NOT NULL,
  -- Energy per slot (kWh or kvarh, primary side); NULL = missing.
  value           double precision[] NOT NULL,
  -- The meter's pulse counts per slot as read; NULL = missing.
  pulses          integer[] NOT NULL,
  -- Per-slot marks (store/day-block.ts): 1 actual, 2 power off, 4 clock suspect, 8 conflict seen.
  flags           bytea NOT NULL,
  first_session   bigint,
  last_session    bigint,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meter_id, channel, day),
  CHECK (filled BETWEEN 0 AND slots)
);
CREATE INDEX interval_raw_incomplete ON interval_raw (day, meter_id) WHERE filled < slots;

CREATE TABLE meter_event (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meter_id        bigint NOT NULL REFERENCES meter (id),
  kind            text NOT NULL CHECK (kind IN ('outage', 'alteration', 'occurrence', 'clock_drift', 'clock_sync',
                                                'conflict', 'parametrization', 'demand_reset', 'serial_mismatch')),
  at              timestamptz NOT NULL,
  ended_at        timestamptz,
  detail          jsonb NOT NULL DEFAULT '{}',
  session_id      bigint REFERENCES read_session (id),
  -- Natural key of what the meter reported, so re-reading the same log adds nothing.
  dedupe          text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (meter_id, kind, dedupe)
);
CREATE INDEX meter_event_meter_at ON meter_event (meter_id, at DESC);

CREATE TABLE gap (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meter_id        bigint NOT NULL REFERENCES meter (id),
  -- End instants of the first and last missing intervals.
  first_end       timestamptz NOT NULL,
  last_end        timestamptz NOT NULL,
  intervals       integer NOT NULL,
  state           text NOT NULL CHECK (state IN ('pending', 'retrying', 'recovered', 'lost')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_attempt_at timestamptz,
  last_error      text,
  history         jsonb NOT NULL DEFAULT '[]',
  created_at      timestamptz NOT NULL DEFAULT now(),
  closed_at       timestamptz,
  CHECK (last_end >= first_end)
);
CREATE INDEX gap_open ON gap (meter_id, first_end) WHERE state IN ('pending', 'retrying');

CREATE TABLE task (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('read_now', 'clock_sync', 'demand_interval', 'holidays', 'demand_reset')),
  meter_id        bigint NOT NULL REFERENCES meter (id),
  params          jsonb NOT NULL DEFAULT '{}',
  status          text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'cancelled')),
  requested_by    text NOT NULL,
  requested_at    timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  result          jsonb,
  session_id      bigint REFERENCES read_session (id)
);
CREATE INDEX task_meter ON task (meter_id, requested_at DESC);

CREATE TABLE audit_log (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              timestamptz NOT NULL DEFAULT now(),
  actor           text NOT NULL,
  action          text NOT NULL,
  entity          text NOT NULL,
  entity_id       text,
  before          jsonb,
  after           jsonb,
  comment         text
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at DESC);

-- One session at a time per physical line, across processes: a lease with an expiry, so a crashed holder frees it.
CREATE TABLE line_lease (
  concurrency_group text PRIMARY KEY,
  holder          text NOT NULL,
  expires_at      timestamptz NOT NULL
);
