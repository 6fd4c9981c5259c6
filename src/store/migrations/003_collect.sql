-- Collection engine state. What the planner needs to know about each meter between sessions and that no session
-- row holds: its last demand resets (to choose 0x27 over a long 0x51 window for a gap) and its last clock drift
-- (to widen a window that counts back from the meter's own clock). One row per meter, upserted after sessions.
CREATE TABLE meter_collect_state (
  meter_id          bigint PRIMARY KEY REFERENCES meter (id),
  last_reset        timestamptz,
  penultimate_reset timestamptz,
  drift_s           integer,
  drift_at          timestamptz,
  last_attempt_at   timestamptz,
  last_ok_at        timestamptz,
  -- Reads in a row that failed, retries included (0 after a good one): the status view shows meters that stopped
  -- answering.
  failures          integer NOT NULL DEFAULT 0,
  last_error        text,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The gap task picks due gaps by time across all meters.
CREATE INDEX gap_due ON gap (next_attempt_at) WHERE state IN ('pending', 'retrying');
-- Tasks waiting or running, per meter and kind (one clock sync at a time per meter).
CREATE INDEX task_open ON task (meter_id, kind) WHERE status IN ('pending', 'running');
