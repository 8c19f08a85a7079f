-- What the summaries' rollup SQL reads a window with, besides the views (levels.sql).

-- A window [from, until) of whole minutes, either side open, as at most seven ranges of buckets:
-- minutes up to the first whole ten minutes, tens up to the first whole hour, hours up to the first whole day,
-- whole days, then hours, tens and minutes at the end. Each level's whole buckets nest inside the finer
-- level's, so the ranges tile the window. Only closed hours and days count as whole (state.open_hour): the
-- open hour is read from tens and minutes, the open day from hours, tens and minutes.
CREATE OR REPLACE FUNCTION peermetrics_rollups.window_parts(from_at timestamptz, until_at timestamptz)
RETURNS TABLE (lvl smallint, lo timestamptz, hi timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH b AS (
        SELECT coalesce(from_at, '-infinity') AS f, coalesce(until_at, 'infinity') AS u, s.open_hour AS oh
        FROM peermetrics_rollups.state s
    ), e AS (
        -- [xl, xh): the whole buckets of level x inside the window; none when xl > xh.
        SELECT f, u,
               CASE WHEN date_bin('10 minutes', f, 'epoch') = f THEN f
                    ELSE date_bin('10 minutes', f, 'epoch') + interval '10 minutes' END AS tl,
               date_bin('10 minutes', u, 'epoch') AS th,
               CASE WHEN date_trunc('hour', f, 'UTC') = f THEN f
                    ELSE date_trunc('hour', f, 'UTC') + interval '1 hour' END AS hl,
               least(date_trunc('hour', u, 'UTC'), oh) AS hh,
               CASE WHEN date_trunc('day', f, 'UTC') = f THEN f
                    ELSE date_trunc('day', f, 'UTC') + interval '1 day' END AS dl,
               least(date_trunc('day', u, 'UTC'), date_trunc('day', oh, 'UTC')) AS dh
        FROM b
    )
    SELECT p.lvl, p.lo, p.hi
    FROM e CROSS JOIN LATERAL (
        -- Each level: the whole range when the next level holds none of it, else both ends.
        SELECT 0::smallint AS lvl, e.f AS lo, CASE WHEN e.tl <= e.th THEN e.tl ELSE e.u END AS hi
        UNION ALL SELECT 0::smallint, e.th, e.u WHERE e.tl <= e.th
        UNION ALL SELECT 1::smallint, e.tl, CASE WHEN e.hl <= e.hh THEN e.hl ELSE e.th END WHERE e.tl <= e.th
        UNION ALL SELECT 1::smallint, e.hh, e.th WHERE e.hl <= e.hh
        UNION ALL SELECT 2::smallint, e.hl, CASE WHEN e.dl <= e.dh THEN e.dl ELSE e.hh END WHERE e.hl <= e.hh
        UNION ALL SELECT 2::smallint, e.dh, e.hh WHERE e.dl <= e.dh
        UNION ALL SELECT 3::smallint, e.dl, e.dh WHERE e.dl <= e.dh
    ) p
    WHERE p.lo < p.hi
$$;

-- Sorted distinct union of uuid arrays: the setup-time summary's conference ids, read over a window and rolled
-- up into hours and days.
CREATE OR REPLACE FUNCTION peermetrics_rollups.sorted_distinct(ids uuid[]) RETURNS uuid[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT id ORDER BY id), ARRAY[]::uuid[]) FROM unnest(ids) id
$$;
CREATE OR REPLACE AGGREGATE peermetrics_rollups.uuid_union(uuid[]) (
    SFUNC = array_cat, STYPE = uuid[], FINALFUNC = peermetrics_rollups.sorted_distinct, INITCOND = '{}'
);
