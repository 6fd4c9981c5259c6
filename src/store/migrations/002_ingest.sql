-- Ingest (issue 3): reading warnings on the session, an event kind for a meter whose registration (constants,
-- quantity codes, mass-memory interval) differs from what it reports (vee.md V13), and day blocks kept inline.

ALTER TABLE read_session ADD COLUMN warnings text[] NOT NULL DEFAULT '{}';

ALTER TABLE meter_event DROP CONSTRAINT meter_event_kind_check;
ALTER TABLE meter_event ADD CONSTRAINT meter_event_kind_check
  CHECK (kind IN ('outage', 'alteration', 'occurrence', 'clock_drift', 'clock_sync', 'conflict', 'parametrization',
                  'demand_reset', 'serial_mismatch', 'constants_mismatch'));

-- A day block of 288 slots is ~4 kB (value float8[], pulses int[], flags): over the 2 kB toast threshold, so by
-- default every row write compresses the arrays (they shrink by about a third) and moves them out of line. Keeping
-- rows up to a page inline avoids both and made ingest ~2× faster (bench/RESULTS.md); reading a day is one tuple.
ALTER TABLE interval_raw SET (toast_tuple_target = 8160);
