-- Removes every object the rollups installed: the triggers on the peermetrics tables first, then the schema
-- with its tables and functions. The peermetrics tables are left exactly as they were before the install.
DO $$
DECLARE
    t text;
BEGIN
    -- Every lock first, in the install's order (see there), then the drops.
    FOREACH t IN ARRAY ARRAY['conference', 'app_issue', 'app_connection', 'app_session', 'participant_conferences', 'participant']
    LOOP
        IF to_regclass(format('public.%I', t)) IS NOT NULL THEN
            EXECUTE format('LOCK TABLE public.%I IN ACCESS EXCLUSIVE MODE', t);
        END IF;
    END LOOP;
    FOREACH t IN ARRAY ARRAY['conference', 'app_issue', 'app_connection', 'app_session', 'participant_conferences', 'participant']
    LOOP
        IF to_regclass(format('public.%I', t)) IS NOT NULL THEN
            EXECUTE format('DROP TRIGGER IF EXISTS peermetrics_rollups_insert ON public.%I', t);
            EXECUTE format('DROP TRIGGER IF EXISTS peermetrics_rollups_update ON public.%I', t);
            EXECUTE format('DROP TRIGGER IF EXISTS peermetrics_rollups_delete ON public.%I', t);
            EXECUTE format('DROP TRIGGER IF EXISTS peermetrics_rollups_truncate ON public.%I', t);
        END IF;
    END LOOP;
END
$$;
DROP SCHEMA IF EXISTS peermetrics_rollups CASCADE;
