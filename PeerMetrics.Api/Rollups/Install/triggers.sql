-- The install's second transaction: the triggers of peermetrics_rollups.watched on the peermetrics tables.
-- All six tables' locks at once, in one fixed order, before anything else, so it never waits for a lock while
-- holding another and cannot deadlock with a writer. The installer bounds the wait and the hold with
-- lock_timeout and statement_timeout (Rollups:LockTimeout) and retries: writers queue behind it for that long at
-- most. Nothing here counts or reads rows.
LOCK TABLE /*@WATCHED_TABLES()*/ IN SHARE ROW EXCLUSIVE MODE;

-- Triggers of an earlier install that are no longer listed, then every listed one (replaced in place).
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT tr.tgrelid::regclass AS rel, tr.tgname AS name
        FROM pg_trigger tr JOIN pg_proc p ON p.oid = tr.tgfoid
        WHERE p.pronamespace = 'peermetrics_rollups'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM peermetrics_rollups.watched w
                          WHERE format('public.%I', w.tbl)::regclass = tr.tgrelid AND w.name = tr.tgname)
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.name, t.rel);
    END LOOP;
    FOR t IN SELECT * FROM peermetrics_rollups.watched LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON public.%I FOR EACH %s EXECUTE FUNCTION peermetrics_rollups.%s',
            t.name, t.event, t.tbl,
            CASE WHEN t.event = 'TRUNCATE' THEN 'STATEMENT' ELSE 'ROW' END,
            CASE WHEN t.event = 'TRUNCATE' THEN 'log_change()'
                 ELSE format('log_change(%s)',
                             (SELECT string_agg(quote_literal(a), ', ')
                              FROM unnest(ARRAY[t.key, t.families::text] || coalesce(t.watched, ARRAY[]::text[])) a)) END);
    END LOOP;
END
$$;
