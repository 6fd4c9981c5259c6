-- Virtual meters (issue 7): a virtual meter IS a metering point of kind 'virtual' whose single final series (one
-- channel: C, G, QC or QG) is computed from a formula over other series and stored in vee_final like any point's
-- (cause 'virtual'). The formula, its definition history and the series it reads live here.

ALTER TABLE metering_point DROP CONSTRAINT IF EXISTS metering_point_kind_check;
ALTER TABLE metering_point ADD CONSTRAINT metering_point_kind_check
  CHECK (kind IN ('fronteira', 'consumidor_livre', 'consumidor_especial', 'geracao', 'distribuidora', 'virtual'));

-- Generated codes of virtual points: 'VM' + 11 digits (src/virtual/service.ts).
CREATE SEQUENCE virtual_meter_code_seq;

CREATE TABLE virtual_meter (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  point_id        bigint NOT NULL UNIQUE REFERENCES metering_point (id),
  -- How formulas reference it: vm("name"). Unique among the meters not retired; a retired name may be reused.
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 80 AND name = btrim(name) AND position('"' IN name) = 0),
  channel         text NOT NULL CHECK (channel IN ('C', 'G', 'QC', 'QG')),
  quantity_code   smallint NOT NULL,
  unit            text NOT NULL,
  formula         text NOT NULL,
  description     text,
  -- Groups of virtual meters (group("tag") in formulas).
  tags            text[] NOT NULL DEFAULT '{}',
  -- Definition version: +1 per change, each kept in virtual_meter_version.
  version         integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  retired_at      timestamptz
);
CREATE UNIQUE INDEX virtual_meter_active_name ON virtual_meter (name) WHERE retired_at IS NULL;

-- Every definition a virtual meter had, so a result can be traced to the formula that made it.
CREATE TABLE virtual_meter_version (
  virtual_id      bigint NOT NULL REFERENCES virtual_meter (id),
  version         integer NOT NULL,
  formula         text NOT NULL,
  channel         text NOT NULL,
  description     text,
  tags            text[] NOT NULL DEFAULT '{}',
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  comment         text,
  PRIMARY KEY (virtual_id, version)
);

-- The series a virtual meter reads now (groups expanded), refreshed at each definition and computation: VEE marks
-- the virtual meters reading a point's series dirty when that series gets a new final version.
CREATE TABLE virtual_meter_input (
  virtual_id      bigint NOT NULL REFERENCES virtual_meter (id),
  input_point_id  bigint NOT NULL REFERENCES metering_point (id),
  quantity_code   smallint NOT NULL,
  PRIMARY KEY (virtual_id, input_point_id, quantity_code)
);
CREATE INDEX virtual_meter_input_series ON virtual_meter_input (input_point_id, quantity_code);
