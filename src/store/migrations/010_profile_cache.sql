-- Month profiles (src/profiles/month-cache.ts): the 5-min JSON answer of GET /points/:code/intervals for one point,
-- layer and calendar month, kept gzip-compressed so that a read is one row lookup instead of decoding and formatting
-- ~26,000 values. A body is served only while `fingerprint` still equals what the fingerprint functions below compute
-- from the rows it was built from; anything else (a re-read day, a new final version, a registry edit) makes it
-- stale, and the request is answered from the data itself and the body rebuilt.
CREATE TABLE profile_month (
  point_id        bigint NOT NULL REFERENCES metering_point (id),
  layer           text NOT NULL CHECK (layer IN ('raw', 'final')),
  -- First day of the calendar month.
  month           date NOT NULL CHECK (extract(day FROM month) = 1),
  -- '<encoder format>:<md5 of the fingerprint text>'.
  fingerprint     text NOT NULL,
  -- gzip of the JSON text.
  body            bytea NOT NULL,
  -- Length of the JSON text, bytes.
  json_bytes      integer NOT NULL CHECK (json_bytes > 0),
  built_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (point_id, layer, month)
);
-- Already compressed: stored out of line as it is, without PostgreSQL trying to compress it again.
ALTER TABLE profile_month ALTER COLUMN body SET STORAGE EXTERNAL;

-- How many times each meter-month of day blocks was written (store/day-blocks.ts writeDayBlocks, the only writer of
-- interval_raw, bumps it in the same transaction). A month profile's fingerprint reads these rows instead of the
-- ~90 day-block rows of the month, which it would have to fetch from the heap one by one.
CREATE TABLE raw_month_version (
  meter_id        bigint NOT NULL REFERENCES meter (id),
  -- First day of the calendar month of the day blocks' operating days.
  month           date NOT NULL CHECK (extract(day FROM month) = 1),
  version         bigint NOT NULL CHECK (version >= 1),
  PRIMARY KEY (meter_id, month)
);
INSERT INTO raw_month_version (meter_id, month, version)
SELECT meter_id, date_trunc('month', day)::date, 1 FROM interval_raw GROUP BY 1, 2;

-- What a raw profile is built from: the point row (code, time zone), its meters (serial, role, channel map,
-- validity) and the versions of those meters' day-block months in the range. The point and meters are reduced to a
-- row count and the sum of the rows' xmin: any rewrite of a row gives it the xid of a later transaction, so the sum
-- moves (two changes could only cancel out after the 32-bit xid counter wrapped around between them); the month
-- versions only grow. PL/pgSQL rather than SQL: its statement plans are kept per connection, where a non-inlined
-- SQL function is planned again on every call (3× the cost).
CREATE FUNCTION profile_fingerprint_raw(p_point bigint, p_from date, p_to date) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN md5(concat_ws('|',
    (SELECT p.xmin::text FROM metering_point p WHERE p.id = p_point),
    (SELECT count(*) || ':' || coalesce(sum(m.xmin::text::bigint), 0) FROM meter m WHERE m.point_id = p_point),
    (SELECT count(*) || ':' || coalesce(sum(v.version), 0)
       FROM raw_month_version v
      WHERE v.meter_id = ANY (ARRAY(SELECT m.id FROM meter m WHERE m.point_id = p_point))
        AND v.month BETWEEN date_trunc('month', p_from)::date AND date_trunc('month', p_to)::date)));
END
$$;

-- What a final profile is built from: the point row and the current final versions in the range. A version's
-- values never change (a change is a new version with a larger id that supersedes it), and its lock columns are
-- not part of the answer, so the count and sum of the current versions' ids are enough; an export locking them
-- does not make the profile stale.
CREATE FUNCTION profile_fingerprint_final(p_point bigint, p_from date, p_to date) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN md5(concat_ws('|',
    (SELECT p.xmin::text FROM metering_point p WHERE p.id = p_point),
    (SELECT count(*) || ':' || coalesce(sum(f.id), 0)
       FROM vee_final f
      WHERE f.point_id = p_point AND f.superseded_at IS NULL AND f.day BETWEEN p_from AND p_to)));
END
$$;
