-- Register and instantaneous-value snapshots taken by each reading (vee.md V10 sum check against the register
-- advance, V12 phase loss / voltage range). One row per meter, kind, channel group and meter instant: re-reading the
-- same snapshot adds nothing.
CREATE TABLE meter_snapshot (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meter_id        bigint NOT NULL REFERENCES meter (id),
  session_id      bigint REFERENCES read_session (id),
  kind            text NOT NULL CHECK (kind IN ('registers_current', 'registers_previous', 'instant')),
  channel_group   smallint NOT NULL DEFAULT 0,
  -- When the values held: the meter clock at the read (current registers, instantaneous values) or the last demand
  -- reset (previous registers), as an instant.
  at              timestamptz NOT NULL,
  data            jsonb NOT NULL,
  UNIQUE (meter_id, kind, channel_group, at)
);
CREATE INDEX meter_snapshot_meter_at ON meter_snapshot (meter_id, kind, at DESC);
