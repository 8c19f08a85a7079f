-- The maintainer: one run of apply() consumes (part of) the log and, while backfilling, one batch of
-- conferences; each of its jobs is a function below, in the order it runs them. status() reports how far it is.

-- Recomputes the given conferences' cells of each family, then their buckets at every level.
CREATE OR REPLACE FUNCTION peermetrics_rollups.recompute(c_ids uuid[], i_ids uuid[], n_ids uuid[], s_ids uuid[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(c_ids) > 0 THEN PERFORM peermetrics_rollups.recompute_conferences(c_ids); END IF;
    IF cardinality(i_ids) > 0 THEN PERFORM peermetrics_rollups.recompute_issues(i_ids); END IF;
    IF cardinality(n_ids) > 0 THEN PERFORM peermetrics_rollups.recompute_connections(n_ids); END IF;
    IF cardinality(s_ids) > 0 THEN PERFORM peermetrics_rollups.recompute_sessions(s_ids); END IF;
    PERFORM peermetrics_rollups.reaggregate();
END
$$;

-- Forgets every rollup and starts a backfill from the first conference (after install or TRUNCATE).
CREATE OR REPLACE FUNCTION peermetrics_rollups.reset() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'TRUNCATE peermetrics_rollups.conference_cell, peermetrics_rollups.issue_code_cell, '
            'peermetrics_rollups.issue_gum_cell, peermetrics_rollups.connection_cell, peermetrics_rollups.session_cell, '
            'peermetrics_rollups.work_touched, '
            || (SELECT string_agg(format('peermetrics_rollups.%I', r.name || '_stored'), ', ') FROM peermetrics_rollups.rollups r);
    UPDATE peermetrics_rollups.state
    SET phase = 'backfilling', backfill_app = NULL, backfill_at = NULL, backfill_id = NULL, backfill_done = 0,
        backfill_total = (SELECT count(*) FROM conference), ready_at = NULL, reset_at = NULL, settle_xmax = NULL,
        -- The log's fill counted afresh: rows of rolled-back writes (never deleted by a run) stop counting.
        log_base = coalesce(pg_sequence_last_value('peermetrics_rollups.log_seq'), 0)
                   - (SELECT count(*) FROM peermetrics_rollups.change_log);
END
$$;

-- A change went unlogged since the last look (a trigger could not log it, or the log was at its cap): requests
-- a reset, with the first recorded reason, and says so. The writes that missed may still be running; the reset
-- waits for them (settle_xmax, set by a later run, whose snapshot is taken after this read).
CREATE OR REPLACE FUNCTION peermetrics_rollups.take_missed_changes() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    missed bigint := coalesce(pg_sequence_last_value(to_regclass('peermetrics_rollups.missed_seq')), 0);
BEGIN
    IF missed <= (SELECT s.missed_seen FROM peermetrics_rollups.state s) THEN
        RETURN false;
    END IF;
    UPDATE peermetrics_rollups.state s
    SET missed_seen = missed, phase = 'backfilling', ready_at = NULL, reset_at = coalesce(s.reset_at, now()),
        settle_xmax = NULL, broken_at = now(),
        broken_reason = 'a change was not logged: '
                        || coalesce((SELECT f.reason FROM peermetrics_rollups.faults f ORDER BY f.at LIMIT 1), 'reason not recorded');
    DELETE FROM peermetrics_rollups.faults;
    RETURN true;
END
$$;

-- Requests a reset, unless one is pending, for a schema problem or a TRUNCATE's marker. A TRUNCATE's marker
-- commits with it: no write to wait for. A schema problem: see reset_when_settled().
CREATE OR REPLACE FUNCTION peermetrics_rollups.request_reset(problem text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT s.reset_at IS NULL FROM peermetrics_rollups.state s)
       AND (problem IS NOT NULL OR EXISTS (SELECT 1 FROM peermetrics_rollups.change_log WHERE family = 'everything')) THEN
        UPDATE peermetrics_rollups.state s
        SET phase = 'backfilling', reset_at = now(), ready_at = NULL, broken_at = now(),
            settle_xmax = CASE WHEN problem IS NOT NULL THEN NULL ELSE '0'::xid8 END,
            broken_reason = coalesce(problem, 'TRUNCATE');
    END IF;
END
$$;

-- Deletes the whole log (while a reset is pending: everything visible now is covered by the backfill that
-- follows it). Returns how many rows it deleted.
CREATE OR REPLACE FUNCTION peermetrics_rollups.drop_log() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    entries bigint;
BEGIN
    DELETE FROM peermetrics_rollups.change_log;
    GET DIAGNOSTICS entries = ROW_COUNT;
    UPDATE peermetrics_rollups.state s SET log_base = s.log_base + entries;
    RETURN entries;
END
$$;

-- Carries out the pending reset (true), or records what it waits for (false). With a trigger missing or a
-- column drifted, changes go unlogged or are misread: the backfill starts only once the schema is back, and once
-- every transaction that wrote meanwhile (or missed) has ended, from a snapshot that then holds every such change.
CREATE OR REPLACE FUNCTION peermetrics_rollups.reset_when_settled(problem text, missed boolean, reset_delay interval)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    unsettled boolean := problem IS NOT NULL OR missed;
    st peermetrics_rollups.state;
BEGIN
    SELECT * INTO st FROM peermetrics_rollups.state;
    IF unsettled OR st.settle_xmax IS NULL OR now() - st.reset_at < reset_delay
       OR pg_snapshot_xmin(pg_current_snapshot()) < st.settle_xmax THEN
        UPDATE peermetrics_rollups.state s
        SET applied_at = now(),
            settle_xmax = CASE WHEN unsettled THEN NULL
                               ELSE coalesce(s.settle_xmax, pg_snapshot_xmax(pg_current_snapshot())) END,
            broken_reason = coalesce(problem, s.broken_reason);
        RETURN false;
    END IF;
    PERFORM peermetrics_rollups.reset();
    RETURN true;
END
$$;

-- Of the given conferences, those the backfill has not reached and that have no cells yet: it folds them in
-- later, from a snapshot that holds their changes, so recomputing them now is wasted (a bulk load logs every
-- row). One that moved ahead of the cursor keeps cells and is recomputed; a deleted one too.
CREATE OR REPLACE FUNCTION peermetrics_rollups.ahead_of_backfill(ids uuid[]) RETURNS uuid[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    st peermetrics_rollups.state;
BEGIN
    SELECT * INTO st FROM peermetrics_rollups.state;
    RETURN ARRAY(
        SELECT c.id
        FROM conference c
        WHERE c.id IN (SELECT unnest(ids))
          AND (st.backfill_app IS NULL OR c.app_id > st.backfill_app
               OR (c.app_id = st.backfill_app
                   AND (c.created_at, c.id) > (coalesce(st.backfill_at, '-infinity'),
                                               coalesce(st.backfill_id, '00000000-0000-0000-0000-000000000000'))))
          AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.conference_cell x WHERE x.conference_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.issue_code_cell x WHERE x.conference_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.issue_gum_cell x WHERE x.conference_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.connection_cell x WHERE x.conference_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.session_cell x WHERE x.conference_id = c.id));
END
$$;

-- Consumes up to max_entries log rows: recomputes the cells of the conferences they name, family by family,
-- and their buckets (closing the hours that ended). Returns how many rows it consumed.
CREATE OR REPLACE FUNCTION peermetrics_rollups.consume_log(max_entries integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    entries bigint;
    c_ids uuid[];
    i_ids uuid[];
    n_ids uuid[];
    s_ids uuid[];
    p_ids uuid[];
    ahead uuid[];
BEGIN
    WITH consumed AS (
        DELETE FROM peermetrics_rollups.change_log l
        WHERE l.ctid = ANY (ARRAY(SELECT ctid FROM peermetrics_rollups.change_log LIMIT max_entries))
        RETURNING l.family, l.id
    )
    SELECT count(*),
           array_agg(DISTINCT id) FILTER (WHERE family = 'conference' AND id IS NOT NULL),
           array_agg(DISTINCT id) FILTER (WHERE family = 'issue' AND id IS NOT NULL),
           array_agg(DISTINCT id) FILTER (WHERE family = 'connection' AND id IS NOT NULL),
           array_agg(DISTINCT id) FILTER (WHERE family = 'session' AND id IS NOT NULL),
           array_agg(DISTINCT id) FILTER (WHERE family = 'participant' AND id IS NOT NULL)
    INTO entries, c_ids, i_ids, n_ids, s_ids, p_ids
    FROM consumed;
    UPDATE peermetrics_rollups.state s SET log_base = s.log_base + entries;

    -- A participant's flags count in every conference it is linked to, as linked in this snapshot.
    IF cardinality(p_ids) > 0 THEN
        c_ids := ARRAY(SELECT unnest(c_ids)
                       UNION
                       SELECT pc.conference_id FROM participant_conferences pc WHERE pc.participant_id = ANY (p_ids));
    END IF;
    IF (SELECT s.phase FROM peermetrics_rollups.state s) = 'backfilling' THEN
        ahead := peermetrics_rollups.ahead_of_backfill(c_ids || i_ids || n_ids || s_ids);
        c_ids := ARRAY(SELECT unnest(c_ids) EXCEPT SELECT unnest(ahead));
        -- A conference whose created_at moved behind the cursor would never have its rows backfilled: any
        -- change of a conference then recomputes all of its rows.
        i_ids := ARRAY(SELECT unnest(i_ids) UNION SELECT unnest(c_ids) EXCEPT SELECT unnest(ahead));
        n_ids := ARRAY(SELECT unnest(n_ids) UNION SELECT unnest(c_ids) EXCEPT SELECT unnest(ahead));
        s_ids := ARRAY(SELECT unnest(s_ids) UNION SELECT unnest(c_ids) EXCEPT SELECT unnest(ahead));
    END IF;
    PERFORM peermetrics_rollups.close_hours();
    PERFORM peermetrics_rollups.recompute(c_ids, i_ids, n_ids, s_ids);
    RETURN entries;
END
$$;

-- While backfilling: folds in the next batch of conferences, in (app, created_at, id) order so a batch touches
-- few hours and days, and moves the cursor; ready once it passed the last. Returns how many it folded in.
CREATE OR REPLACE FUNCTION peermetrics_rollups.backfill(backfill_batch integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    st peermetrics_rollups.state;
    done bigint := 0;
    c_ids uuid[];
    batch_ids uuid[] := ARRAY[]::uuid[];
    batch_count integer;
    last_at timestamptz;
    last_id uuid;
BEGIN
    SELECT * INTO st FROM peermetrics_rollups.state;
    IF st.phase <> 'backfilling' THEN
        RETURN 0;
    END IF;
    IF st.backfill_app IS NULL THEN
        st.backfill_app := (SELECT c.app_id FROM conference c ORDER BY c.app_id LIMIT 1);
    END IF;
    WHILE st.backfill_app IS NOT NULL AND done < backfill_batch LOOP
        WITH batch AS (
            SELECT c.id, c.created_at
            FROM conference c
            WHERE c.app_id = st.backfill_app
              AND (c.created_at, c.id) > (coalesce(st.backfill_at, '-infinity'),
                                          coalesce(st.backfill_id, '00000000-0000-0000-0000-000000000000'))
            ORDER BY c.created_at, c.id
            LIMIT backfill_batch - done
        )
        SELECT coalesce(array_agg(id), ARRAY[]::uuid[]), count(*)::int,
               (array_agg(created_at ORDER BY created_at DESC, id DESC))[1],
               (array_agg(id ORDER BY created_at DESC, id DESC))[1]
        INTO STRICT c_ids, batch_count, last_at, last_id
        FROM batch;
        batch_ids := batch_ids || c_ids;
        done := done + batch_count;
        IF batch_count < backfill_batch - (done - batch_count) THEN
            st.backfill_app := (SELECT c.app_id FROM conference c WHERE c.app_id > st.backfill_app ORDER BY c.app_id LIMIT 1);
            st.backfill_at := NULL;
            st.backfill_id := NULL;
        ELSE
            st.backfill_at := last_at;
            st.backfill_id := last_id;
        END IF;
    END LOOP;
    PERFORM peermetrics_rollups.recompute(batch_ids, batch_ids, batch_ids, batch_ids);
    UPDATE peermetrics_rollups.state s
    SET backfill_app = st.backfill_app, backfill_at = st.backfill_at, backfill_id = st.backfill_id,
        backfill_done = s.backfill_done + done,
        phase = CASE WHEN st.backfill_app IS NULL THEN 'ready' ELSE 'backfilling' END,
        ready_at = CASE WHEN st.backfill_app IS NULL THEN now() END,
        broken_reason = CASE WHEN st.backfill_app IS NULL THEN NULL ELSE s.broken_reason END;
    RETURN done;
END
$$;

-- One maintainer run. Must run in a REPEATABLE READ transaction: the log rows it deletes are exactly those
-- visible in its snapshot, and it recomputes from raw rows of that same snapshot; a change committed later keeps
-- its log row for the next run. One maintainer at a time (transaction-scoped advisory lock).
--
-- A reset (after a TRUNCATE, or while a trigger is missing) is carried out reset_delay after it was requested:
-- the request makes status() report not ready at once, and a reader trusts a status at most MaxLag old, so by
-- the time the rollups are emptied and partly backfilled no reader serves them any more.
CREATE OR REPLACE FUNCTION peermetrics_rollups.apply(max_entries integer DEFAULT 100000, backfill_batch integer DEFAULT 2000,
                                                     reset_delay interval DEFAULT '5 seconds')
RETURNS TABLE (locked boolean, consumed bigint, backfilled bigint, phase text)
LANGUAGE plpgsql AS $$
DECLARE
    entries bigint;
    done bigint;
    missed boolean;
    problem text;
BEGIN
    IF current_setting('transaction_isolation') <> 'repeatable read' THEN
        RAISE EXCEPTION 'peermetrics_rollups.apply() must run in a REPEATABLE READ transaction';
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtext('peermetrics_rollups.apply')) THEN
        RETURN QUERY SELECT false, 0::bigint, 0::bigint, (SELECT s.phase FROM peermetrics_rollups.state s);
        RETURN;
    END IF;
    -- The snapshot was taken before the lock: if another run committed in between, this one would work on
    -- stale rollups. Every run updates the state row, so locking it fails (serialization failure) exactly
    -- then; the caller just runs again.
    PERFORM 1 FROM peermetrics_rollups.state FOR UPDATE;

    missed := peermetrics_rollups.take_missed_changes();
    problem := peermetrics_rollups.schema_problems();
    PERFORM peermetrics_rollups.request_reset(problem);
    IF (SELECT s.reset_at IS NOT NULL FROM peermetrics_rollups.state s) THEN
        entries := peermetrics_rollups.drop_log();
        IF NOT peermetrics_rollups.reset_when_settled(problem, missed, reset_delay) THEN
            RETURN QUERY SELECT true, entries, 0::bigint, 'backfilling'::text;
            RETURN;
        END IF;
    ELSE
        entries := peermetrics_rollups.consume_log(max_entries);
    END IF;
    done := peermetrics_rollups.backfill(backfill_batch);

    UPDATE peermetrics_rollups.state s
    SET applied_at = now(),
        current_through = CASE WHEN entries < max_entries THEN transaction_timestamp() ELSE s.current_through END;
    RETURN QUERY SELECT true, entries, done, (SELECT s.phase FROM peermetrics_rollups.state s);
END
$$;

-- Cheap enough to call before serving: the phase, and how far behind the maintainer is (pending log rows,
-- age of the oldest). A pending rebuild marker means the rollups are about to be reset: not ready.
CREATE OR REPLACE FUNCTION peermetrics_rollups.status()
RETURNS TABLE (version integer, phase text, ready boolean, backlog bigint, lag_seconds float8,
               backfill_done bigint, backfill_total bigint, applied_at timestamptz,
               problem text, rebuild_reason text, log_rows bigint, log_cap bigint, unapplied_seconds float8)
LANGUAGE sql STABLE AS $$
    SELECT s.version, s.phase, s.phase = 'ready' AND NOT l.rebuild AND peermetrics_rollups.triggers_ok(), l.backlog,
           coalesce(extract(epoch FROM clock_timestamp() - l.oldest), 0)::float8,
           s.backfill_done, s.backfill_total, s.applied_at,
           -- What keeps them from serving until someone changes the schema; why they are (about to be) rebuilt.
           peermetrics_rollups.schema_problems(),
           coalesce(CASE WHEN coalesce(pg_sequence_last_value(to_regclass('peermetrics_rollups.missed_seq')), 0) > s.missed_seen
                         THEN 'a change was not logged' END,
                    s.broken_reason),
           greatest(coalesce(pg_sequence_last_value(to_regclass('peermetrics_rollups.log_seq')), 0) - s.log_base, l.backlog),
           s.log_cap,
           -- How long nothing has applied the log: since the last run, or since the install.
           extract(epoch FROM clock_timestamp() - coalesce(s.applied_at, s.installed_at))::float8
    FROM peermetrics_rollups.state s
    CROSS JOIN (SELECT count(*) AS backlog, min(logged_at) AS oldest, coalesce(bool_or(family = 'everything'), false) AS rebuild
                FROM peermetrics_rollups.change_log) l
$$;
