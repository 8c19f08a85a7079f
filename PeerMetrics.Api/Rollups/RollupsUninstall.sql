-- Removes every object the rollups installed: the triggers on the peermetrics tables first, then the schema
-- with its tables and functions. The peermetrics tables are left exactly as they were before the install.
DO $$
DECLARE
    t record;
BEGIN
    -- Every lock first, in the install's order (see there), then the drops.
    FOR t IN SELECT to_regclass(n) AS rel FROM unnest(string_to_array('/*@WATCHED_TABLES()*/', ', ')) AS n LOOP
        IF t.rel IS NOT NULL THEN
            EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', t.rel);
        END IF;
    END LOOP;
    -- Every trigger that runs one of the schema's functions, whichever version installed it.
    IF to_regnamespace('peermetrics_rollups') IS NOT NULL THEN
        FOR t IN
            SELECT tr.tgrelid::regclass AS rel, tr.tgname AS name
            FROM pg_trigger tr JOIN pg_proc p ON p.oid = tr.tgfoid
            WHERE p.pronamespace = to_regnamespace('peermetrics_rollups')
        LOOP
            EXECUTE format('DROP TRIGGER %I ON %s', t.name, t.rel);
        END LOOP;
    END IF;
END
$$;
DROP SCHEMA IF EXISTS peermetrics_rollups CASCADE;
