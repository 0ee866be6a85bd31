/// The PostgreSQL schema, as numbered steps recorded in `schema_version`. Append steps; never edit one.
enum PostgresMigrations {
    /// Key of the session advisory lock held while migrating, so replicas starting together take turns.
    static let migrationLockKey: Int64 = 0x5349_474E_4D49_4752  // "SIGNMIGR"

    static let steps: [[String]] = [
        // 1: idempotency keys and the append-only audit log. Times are integer microseconds since 1970.
        [
            """
            CREATE TABLE IF NOT EXISTS idempotency_keys (
                client_id TEXT NOT NULL,
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('in_flight', 'completed')),
                lease_until BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                response_status INTEGER,
                response_content_type TEXT,
                response_body BYTEA,
                PRIMARY KEY (client_id, key)
            )
            """,
            "CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at)",
            """
            CREATE TABLE IF NOT EXISTS audit_log (
                sequence BIGINT PRIMARY KEY,
                time_micros BIGINT NOT NULL,
                client_id TEXT,
                source_address TEXT,
                request_id TEXT NOT NULL,
                traceparent TEXT,
                idempotency_key TEXT,
                operation TEXT NOT NULL,
                instance TEXT,
                token_profile TEXT,
                upstream_method TEXT,
                upstream_url TEXT,
                upstream_status INTEGER,
                latency_micros BIGINT NOT NULL,
                outcome TEXT NOT NULL,
                request_digest TEXT,
                response_digest TEXT,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log (time_micros)",
            "CREATE INDEX IF NOT EXISTS audit_log_client ON audit_log (client_id, sequence)",
            "CREATE INDEX IF NOT EXISTS audit_log_instance ON audit_log (instance, sequence)",
            """
            CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only (% rejected)', TG_OP;
            END
            $$
            """,
            "DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log",
            """
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
            """,
            "DROP TRIGGER IF EXISTS audit_log_no_delete ON audit_log",
            """
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
            """,
            "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
            """
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
            """,
        ],
        // 2: webhook ids of signed inbound requests, kept for the timestamp tolerance to refuse replays.
        [
            """
            CREATE TABLE IF NOT EXISTS webhook_ids (
                client_id TEXT NOT NULL,
                webhook_id TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (client_id, webhook_id)
            )
            """,
            "CREATE INDEX IF NOT EXISTS webhook_ids_expires_at ON webhook_ids (expires_at)",
        ],
        // 3: the events seam: tracked instances, the event outbox, subscriptions, deliveries and their attempts.
        [
            """
            CREATE TABLE IF NOT EXISTS tracked_instances (
                instance TEXT PRIMARY KEY,
                client_id TEXT,
                token_profile TEXT,
                task_id TEXT,
                complete_when_all_signed BOOLEAN NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('active', 'complete', 'ended', 'expired')),
                snapshot BYTEA NOT NULL,
                polls INTEGER NOT NULL,
                next_poll_at BIGINT NOT NULL,
                deadline BIGINT NOT NULL,
                process_next_state TEXT NOT NULL CHECK (process_next_state IN ('not_claimed', 'claimed', 'done')),
                process_next_token TEXT,
                process_next_claimed_at BIGINT,
                traceparent TEXT,
                last_error TEXT,
                lease_owner TEXT,
                lease_until BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS tracked_instances_due ON tracked_instances (status, next_poll_at)",
            """
            CREATE TABLE IF NOT EXISTS events (
                sequence BIGINT PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL,
                instance TEXT NOT NULL,
                app TEXT NOT NULL,
                time_micros BIGINT NOT NULL,
                body BYTEA NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS events_instance ON events (instance, sequence)",
            "CREATE INDEX IF NOT EXISTS events_time ON events (time_micros)",
            """
            CREATE TABLE IF NOT EXISTS subscriptions (
                id TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                types TEXT NOT NULL,
                apps TEXT NOT NULL,
                enabled BOOLEAN NOT NULL,
                disabled_reason TEXT,
                description TEXT,
                secret TEXT NOT NULL,
                previous_secret TEXT,
                previous_secret_expires_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS deliveries (
                id BIGSERIAL PRIMARY KEY,
                subscription_id TEXT NOT NULL,
                event_sequence BIGINT NOT NULL,
                event_id TEXT NOT NULL,
                event_type TEXT NOT NULL,
                instance TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
                attempts INTEGER NOT NULL DEFAULT 0,
                failures_since_armed INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT,
                last_status INTEGER,
                last_verdict TEXT,
                lease_owner TEXT,
                lease_until BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at)",
            """
            CREATE INDEX IF NOT EXISTS deliveries_subscription_instance
            ON deliveries (subscription_id, instance, event_sequence)
            """,
            """
            CREATE INDEX IF NOT EXISTS deliveries_pending_order ON deliveries (event_sequence, id)
            WHERE state = 'pending'
            """,
            """
            CREATE INDEX IF NOT EXISTS deliveries_pending_head ON deliveries (subscription_id, instance, event_sequence, id)
            WHERE state = 'pending'
            """,
            """
            CREATE TABLE IF NOT EXISTS delivery_attempts (
                delivery_id BIGINT NOT NULL,
                number INTEGER NOT NULL,
                time_micros BIGINT NOT NULL,
                status INTEGER,
                latency_micros BIGINT NOT NULL,
                verdict TEXT NOT NULL,
                response_excerpt TEXT,
                PRIMARY KEY (delivery_id, number)
            )
            """,
        ],
        // 4: a subscription's own pending deliveries in event order, for the per-subscription dispatchers.
        [
            """
            CREATE INDEX IF NOT EXISTS deliveries_pending_subscription
            ON deliveries (subscription_id, event_sequence, id) WHERE state = 'pending'
            """,
            // The claim's plans depend on fresh statistics; the defaults wait for 10 % of the table to change.
            """
            ALTER TABLE deliveries SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 500)
            """,
        ],
        // 5: one Altinn write per instance at a time across replicas (see `InstanceWriteLeases`).
        [
            """
            CREATE TABLE IF NOT EXISTS instance_write_leases (
                instance TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """
        ],
        // 6: subscriptions belong to the client that created them; older ones to admins only.
        [
            "ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS owner TEXT NOT NULL DEFAULT '_before-ownership'",
            "CREATE INDEX IF NOT EXISTS subscriptions_owner ON subscriptions (owner)",
            // Retention asks per event whether any delivery still refers to it.
            "CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_sequence)",
        ],
        // 7: signed checkpoints of the audit chain's head (append-only), and audit retention: a record may be
        // deleted once a checkpoint above its sequence vouches for the chain that is left.
        [
            """
            CREATE TABLE IF NOT EXISTS audit_checkpoints (
                sequence BIGINT PRIMARY KEY,
                hash TEXT NOT NULL,
                time_micros BIGINT NOT NULL,
                key_id TEXT NOT NULL,
                signature TEXT NOT NULL
            )
            """,
            """
            CREATE OR REPLACE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_checkpoints is append-only (% rejected)', TG_OP;
            END
            $$
            """,
            "DROP TRIGGER IF EXISTS audit_checkpoints_no_update ON audit_checkpoints",
            """
            CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
            FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()
            """,
            "DROP TRIGGER IF EXISTS audit_checkpoints_no_truncate ON audit_checkpoints",
            """
            CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
            FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only()
            """,
            """
            CREATE OR REPLACE FUNCTION audit_log_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.sequence < (SELECT COALESCE(MAX(sequence), 0) FROM audit_checkpoints) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'audit_log is append-only (% rejected)', TG_OP;
            END
            $$
            """,
            "DROP TRIGGER IF EXISTS audit_log_no_delete ON audit_log",
            """
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_delete_guard()
            """,
        ],
        // 8: what a sign signed (Altinn's signature document: its id, the signee, each data element's SHA-256).
        ["ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS signed_data TEXT"],
        // 9: the operator console's sessions, shared by every replica (keyed by the id's SHA-256).
        [
            """
            CREATE TABLE IF NOT EXISTS console_sessions (
                key TEXT PRIMARY KEY,
                client_id TEXT NOT NULL,
                csrf_token TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL
            )
            """
        ],
        // 10: the end of every audited or event-appending transaction, as one server-side call
        // (`PostgresStore.appendTailAndCommit`). The global advisory locks (events: sequence order = commit order; audit: one
        // chain across replicas) are held from the statement that takes them until COMMIT; taken here, in the last
        // statement before COMMIT, they are held for one statement and the commit instead of a round trip per
        // statement. PL/pgSQL runs each statement with a fresh snapshot (READ COMMITTED, a VOLATILE function), so the
        // heads read after a lock include what the lock's previous holder committed. The subscription filter is
        // `EventColumns.matches` written out (a step never changes); the audit hash is `AuditChain.hash` with the
        // canonical bytes around the sequence built by the caller (`AuditChain.canonicalParts`).
        [
            """
            CREATE OR REPLACE FUNCTION signing_gateway_append_tail(
                event_ids TEXT[], event_types TEXT[], event_instances TEXT[], event_apps TEXT[], event_times BIGINT[],
                event_bodies BYTEA[], audits JSONB, audit_heads BYTEA[], audit_tails BYTEA[]
            ) RETURNS TABLE (o_index INTEGER, o_sequence BIGINT, o_deliveries BIGINT)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                next_sequence BIGINT;
                n_inserted BIGINT;
                n_fanned BIGINT;
                a RECORD;
                head_sequence BIGINT;
                head_hash TEXT;
                record_hash TEXT;
            BEGIN
                IF cardinality(event_ids) > 0 THEN
                    PERFORM pg_advisory_xact_lock(\(PostgresStore.eventsLockKey));
                    SELECT COALESCE(MAX(e.sequence), 0) + 1 INTO next_sequence FROM events e;
                    FOR i IN 1 .. cardinality(event_ids) LOOP
                        WITH ev AS (
                            INSERT INTO events AS t (sequence, id, type, instance, app, time_micros, body)
                            VALUES (next_sequence, event_ids[i], event_types[i], event_instances[i], event_apps[i],
                                    event_times[i], event_bodies[i])
                            ON CONFLICT (id) DO NOTHING
                            RETURNING t.sequence, t.id, t.type, t.instance, t.app, t.time_micros
                        ), fanned AS (
                            INSERT INTO deliveries (subscription_id, event_sequence, event_id, event_type, instance, state,
                                                    next_attempt_at, created_at, updated_at)
                            SELECT s.id, ev.sequence, ev.id, ev.type, ev.instance, 'pending', ev.time_micros,
                                   ev.time_micros, ev.time_micros
                            FROM ev CROSS JOIN subscriptions s
                            WHERE s.enabled
                              AND (s.types = '' OR strpos(' ' || s.types || ' ', ' ' || ev.type || ' ') > 0)
                              AND (s.apps = '' OR strpos(' ' || s.apps || ' ', ' ' || ev.app || ' ') > 0)
                            ORDER BY s.created_at, s.id
                            RETURNING 1
                        )
                        SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM fanned) INTO n_inserted, n_fanned;
                        IF n_inserted = 1 THEN
                            o_index := i;
                            o_sequence := next_sequence;
                            o_deliveries := n_fanned;
                            RETURN NEXT;
                            next_sequence := next_sequence + 1;
                        END IF;
                    END LOOP;
                END IF;
                IF cardinality(audit_heads) > 0 THEN
                    PERFORM pg_advisory_xact_lock(\(PostgresStore.auditLockKey));
                    SELECT l.sequence, l.hash INTO head_sequence, head_hash FROM audit_log l
                    ORDER BY l.sequence DESC LIMIT 1;
                    IF NOT FOUND THEN
                        head_sequence := 0;
                        head_hash := repeat('0', 64);
                    END IF;
                    FOR i IN 1 .. cardinality(audit_heads) LOOP
                        SELECT * INTO a FROM jsonb_to_record(audits -> (i - 1)) AS x(
                            time_micros BIGINT, client_id TEXT, source_address TEXT, request_id TEXT, traceparent TEXT,
                            idempotency_key TEXT, operation TEXT, instance TEXT, token_profile TEXT,
                            upstream_method TEXT, upstream_url TEXT, upstream_status INTEGER, latency_micros BIGINT,
                            outcome TEXT, request_digest TEXT, response_digest TEXT, signed_data TEXT);
                        head_sequence := head_sequence + 1;
                        record_hash := encode(sha256(audit_heads[i] || convert_to(head_sequence::text, 'UTF8')
                                                     || audit_tails[i] || decode(head_hash, 'hex')), 'hex');
                        INSERT INTO audit_log (sequence, time_micros, client_id, source_address, request_id,
                                               traceparent, idempotency_key, operation, instance, token_profile,
                                               upstream_method, upstream_url, upstream_status, latency_micros,
                                               outcome, request_digest, response_digest, previous_hash, hash,
                                               signed_data)
                        VALUES (head_sequence, a.time_micros, a.client_id, a.source_address, a.request_id,
                                a.traceparent, a.idempotency_key, a.operation, a.instance, a.token_profile,
                                a.upstream_method, a.upstream_url, a.upstream_status, a.latency_micros, a.outcome,
                                a.request_digest, a.response_digest, head_hash, record_hash, a.signed_data);
                        head_hash := record_hash;
                    END LOOP;
                END IF;
                RETURN;
            END
            $$
            """,
            // The instance's advisory lock and its row `FOR UPDATE` in one round trip (the row read after the lock,
            // with a fresh snapshot, so a row the lock's previous holder inserted is seen).
            """
            CREATE OR REPLACE FUNCTION signing_gateway_lock_instance(target TEXT) RETURNS SETOF tracked_instances
            LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(\(PostgresStore.instanceLockClass), hashtext(target));
                RETURN QUERY SELECT * FROM tracked_instances t WHERE t.instance = target FOR UPDATE;
            END
            $$
            """,
        ],
        // 11: a write lease lives for one upstream call and only coordinates replicas, so it needs no WAL: each
        // sign took and gave back one, two commits that each waited for a WAL flush. Unlogged, a crash of the
        // server (or a failover) empties the table, which frees leases early; it cannot hand one to two holders
        // while the server runs.
        ["ALTER TABLE instance_write_leases SET UNLOGGED"],
        // 12: a call's whole completion as one statement in its own transaction (`PostgresStore.finishCall`): the
        // instance's lock and row, checked against the row the caller read before it computed its update (`expected`,
        // the row's md5; NULL: no row), the key's guard (kept with its answer, or deleted), the row's upsert and the
        // tail. It answers a status row (`o_index` 0; `o_sequence` 1 done, 0 the key was not in flight, 2 the row
        // changed since it was read), then the tail's rows. Nothing is written unless it is done. One statement
        // instead of BEGIN, guard, upsert, tail and COMMIT: a sign's round trips to the server fall from 7 to 5.
        [
            """
            CREATE OR REPLACE FUNCTION signing_gateway_finish_call(
                k_client TEXT, k_key TEXT, k_keep BOOLEAN, k_status INTEGER, k_content_type TEXT, k_body BYTEA,
                target TEXT, expected TEXT, r_given BOOLEAN,
                r_instance TEXT, r_client_id TEXT, r_token_profile TEXT, r_task_id TEXT,
                r_complete_when_all_signed BOOLEAN, r_status TEXT, r_snapshot BYTEA, r_polls INTEGER,
                r_next_poll_at BIGINT, r_deadline BIGINT, r_process_next_state TEXT, r_process_next_token TEXT,
                r_process_next_claimed_at BIGINT, r_traceparent TEXT, r_last_error TEXT, r_lease_owner TEXT,
                r_lease_until BIGINT, r_created_at BIGINT, r_updated_at BIGINT,
                event_ids TEXT[], event_types TEXT[], event_instances TEXT[], event_apps TEXT[], event_times BIGINT[],
                event_bodies BYTEA[], audits JSONB, audit_heads BYTEA[], audit_tails BYTEA[]
            ) RETURNS TABLE (o_index INTEGER, o_sequence BIGINT, o_deliveries BIGINT)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                found_digest TEXT;
            BEGIN
                o_index := 0;
                o_deliveries := 0;
                IF target IS NOT NULL THEN
                    PERFORM pg_advisory_xact_lock(\(PostgresStore.instanceLockClass), hashtext(target));
                    SELECT md5(t::text) INTO found_digest FROM tracked_instances t WHERE t.instance = target
                    FOR UPDATE;
                    IF found_digest IS DISTINCT FROM expected THEN
                        o_sequence := 2;
                        RETURN NEXT;
                        RETURN;
                    END IF;
                END IF;
                IF k_keep THEN
                    UPDATE idempotency_keys
                    SET state = 'completed', response_status = k_status, response_content_type = k_content_type,
                        response_body = k_body
                    WHERE client_id = k_client AND key = k_key AND state = 'in_flight';
                ELSE
                    DELETE FROM idempotency_keys WHERE client_id = k_client AND key = k_key AND state = 'in_flight';
                END IF;
                IF NOT FOUND THEN
                    o_sequence := 0;
                    RETURN NEXT;
                    RETURN;
                END IF;
                IF r_given THEN
                    INSERT INTO tracked_instances (
                        instance, client_id, token_profile, task_id, complete_when_all_signed, status, snapshot, polls,
                        next_poll_at, deadline, process_next_state, process_next_token, process_next_claimed_at,
                        traceparent, last_error, lease_owner, lease_until, created_at, updated_at)
                    VALUES (
                        r_instance, r_client_id, r_token_profile, r_task_id, r_complete_when_all_signed, r_status,
                        r_snapshot, r_polls, r_next_poll_at, r_deadline, r_process_next_state, r_process_next_token,
                        r_process_next_claimed_at, r_traceparent, r_last_error, r_lease_owner, r_lease_until,
                        r_created_at, r_updated_at)
                    ON CONFLICT (instance) DO UPDATE SET
                        client_id = EXCLUDED.client_id, token_profile = EXCLUDED.token_profile,
                        task_id = EXCLUDED.task_id, complete_when_all_signed = EXCLUDED.complete_when_all_signed,
                        status = EXCLUDED.status, snapshot = EXCLUDED.snapshot, polls = EXCLUDED.polls,
                        next_poll_at = EXCLUDED.next_poll_at, deadline = EXCLUDED.deadline,
                        process_next_state = EXCLUDED.process_next_state,
                        process_next_token = EXCLUDED.process_next_token,
                        process_next_claimed_at = EXCLUDED.process_next_claimed_at,
                        traceparent = EXCLUDED.traceparent, last_error = EXCLUDED.last_error,
                        lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until,
                        created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at;
                END IF;
                o_sequence := 1;
                RETURN NEXT;
                RETURN QUERY SELECT * FROM signing_gateway_append_tail(
                    event_ids, event_types, event_instances, event_apps, event_times, event_bodies, audits,
                    audit_heads, audit_tails);
            END
            $$
            """
        ],
        // 13: an audit record that need only be written (`Durability.written`: reads, refusals) as one statement in its
        // own transaction: it sets `synchronous_commit` off for that transaction alone (`set_config`'s third
        // argument), so its commit does not wait for the WAL flush; a later synced commit flushes it with its own (the
        // WAL is one sequence). Before: BEGIN, SET LOCAL, the tail and COMMIT, three round trips.
        [
            """
            CREATE OR REPLACE FUNCTION signing_gateway_append_audits_written(
                audits JSONB, audit_heads BYTEA[], audit_tails BYTEA[]
            ) RETURNS TABLE (o_index INTEGER, o_sequence BIGINT, o_deliveries BIGINT)
            LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
                PERFORM set_config('synchronous_commit', 'off', true);
                RETURN QUERY SELECT * FROM signing_gateway_append_tail(
                    ARRAY[]::TEXT[], ARRAY[]::TEXT[], ARRAY[]::TEXT[], ARRAY[]::TEXT[], ARRAY[]::BIGINT[],
                    ARRAY[]::BYTEA[], audits, audit_heads, audit_tails);
            END
            $$
            """
        ],
        // 14: a lease's holder, new with every taking (`WriteLease`): a call's completion gives its lease back in its
        // own statement (one round trip fewer per write), later than the process's next writer may have taken the
        // lease over, so the give-back must name the taking, not the process.
        ["ALTER TABLE instance_write_leases ADD COLUMN IF NOT EXISTS holder TEXT"],
        // 15: the statements of calls that came at once, each kind as one statement in one transaction
        // (`StatementBatcher`). First the claims (`PostgresStore.claimBatch`): each key as `ClaimKeyTakingLease`
        // claims it, and the instance's write lease for each key that was new. Every key first, in key order, then
        // every lease, in instance order: a batch waits for another's uncommitted key or lease only in that order,
        // so two batches never wait on each other in a cycle. A row per call: whether its key was new and its lease
        // taken. Then the completions of calls that came at once, as one statement in one transaction
        // (`PostgresStore.finishBatch`): each call as `signing_gateway_finish_call` does it, without its tail, then
        // one tail for the calls that were done, so the events and audit locks are taken once and one WAL flush
        // commits them all. The instances' locks are taken in `hashtext` order, so two batches never wait on each
        // other in a cycle, and all of them before the events and audit locks, as every transaction takes them.
        // Rows: a status row per call (`o_index` 0, `o_sequence` as `signing_gateway_finish_call`'s), then the tail's,
        // with `o_index` the event's place in `event_items` (which call it belongs to).
        [
            """
            CREATE OR REPLACE FUNCTION signing_gateway_claim_keys(
                k_clients TEXT[], k_keys TEXT[], k_fingerprints TEXT[], k_lease_untils BIGINT[], k_nows BIGINT[],
                l_instances TEXT[], l_owners TEXT[], l_untils BIGINT[], l_holders TEXT[]
            ) RETURNS TABLE (o_item INTEGER, o_inserted BOOLEAN, o_taken BOOLEAN)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                i INTEGER;
                inserted BOOLEAN[] := array_fill(false, ARRAY[cardinality(k_keys)]);
            BEGIN
                FOR i IN SELECT u.n FROM unnest(k_clients, k_keys) WITH ORDINALITY AS u(c, k, n)
                         ORDER BY u.c, u.k, u.n LOOP
                    INSERT INTO idempotency_keys (client_id, key, fingerprint, state, lease_until, created_at)
                    VALUES (k_clients[i], k_keys[i], k_fingerprints[i], 'in_flight', k_lease_untils[i], k_nows[i])
                    ON CONFLICT (client_id, key) DO NOTHING;
                    inserted[i] := FOUND;
                END LOOP;
                FOR i IN SELECT u.n FROM unnest(l_instances) WITH ORDINALITY AS u(instance, n)
                         ORDER BY u.instance, u.n LOOP
                    o_item := i;
                    o_inserted := inserted[i];
                    o_taken := false;
                    IF inserted[i] THEN
                        INSERT INTO instance_write_leases AS l (instance, owner, expires_at, holder)
                        VALUES (l_instances[i], l_owners[i], l_untils[i], l_holders[i])
                        ON CONFLICT (instance) DO UPDATE
                        SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, holder = EXCLUDED.holder
                        WHERE l.expires_at <= k_nows[i] OR l.owner = EXCLUDED.owner;
                        o_taken := FOUND;
                    END IF;
                    RETURN NEXT;
                END LOOP;
            END
            $$
            """,
            """
            CREATE OR REPLACE FUNCTION signing_gateway_finish_calls(
                k_clients TEXT[], k_keys TEXT[], k_keeps BOOLEAN[], k_statuses INTEGER[], k_content_types TEXT[],
                k_bodies BYTEA[], targets TEXT[], expecteds TEXT[], r_givens BOOLEAN[],
                r_instances TEXT[], r_client_ids TEXT[], r_token_profiles TEXT[], r_task_ids TEXT[],
                r_complete_when_all_signeds BOOLEAN[], r_statuses TEXT[], r_snapshots BYTEA[], r_polls INTEGER[],
                r_next_poll_ats BIGINT[], r_deadlines BIGINT[], r_process_next_states TEXT[],
                r_process_next_tokens TEXT[], r_process_next_claimed_ats BIGINT[], r_traceparents TEXT[],
                r_last_errors TEXT[], r_lease_owners TEXT[], r_lease_untils BIGINT[], r_created_ats BIGINT[],
                r_updated_ats BIGINT[],
                event_items INTEGER[], event_ids TEXT[], event_types TEXT[], event_instances TEXT[], event_apps TEXT[],
                event_times BIGINT[], event_bodies BYTEA[], audits JSONB, audit_heads BYTEA[], audit_tails BYTEA[]
            ) RETURNS TABLE (o_item INTEGER, o_index INTEGER, o_sequence BIGINT, o_deliveries BIGINT)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                i INTEGER;
                call_status BIGINT;
                done BOOLEAN[] := array_fill(false, ARRAY[cardinality(k_keys)]);
                all_done BOOLEAN := true;
                kept INTEGER[];
                kept_calls INTEGER[];
            BEGIN
                FOR i IN SELECT u.n FROM unnest(targets) WITH ORDINALITY AS u(target, n)
                         ORDER BY hashtext(u.target), u.n LOOP
                    SELECT f.o_sequence INTO call_status FROM signing_gateway_finish_call(
                        k_clients[i], k_keys[i], k_keeps[i], k_statuses[i], k_content_types[i], k_bodies[i],
                        targets[i], expecteds[i], r_givens[i],
                        r_instances[i], r_client_ids[i], r_token_profiles[i], r_task_ids[i],
                        r_complete_when_all_signeds[i], r_statuses[i], r_snapshots[i], r_polls[i],
                        r_next_poll_ats[i], r_deadlines[i], r_process_next_states[i], r_process_next_tokens[i],
                        r_process_next_claimed_ats[i], r_traceparents[i], r_last_errors[i], r_lease_owners[i],
                        r_lease_untils[i], r_created_ats[i], r_updated_ats[i],
                        ARRAY[]::TEXT[], ARRAY[]::TEXT[], ARRAY[]::TEXT[], ARRAY[]::TEXT[], ARRAY[]::BIGINT[],
                        ARRAY[]::BYTEA[], '[]'::jsonb, ARRAY[]::BYTEA[], ARRAY[]::BYTEA[]) AS f
                    WHERE f.o_index = 0;
                    o_item := i;
                    o_index := 0;
                    o_sequence := call_status;
                    o_deliveries := 0;
                    RETURN NEXT;
                    IF call_status = 1 THEN
                        done[i] := true;
                    ELSE
                        all_done := false;
                    END IF;
                END LOOP;
                IF all_done THEN
                    RETURN QUERY SELECT event_items[a.o_index], a.o_index, a.o_sequence, a.o_deliveries
                    FROM signing_gateway_append_tail(event_ids, event_types, event_instances, event_apps, event_times,
                                                     event_bodies, audits, audit_heads, audit_tails) AS a;
                    RETURN;
                END IF;
                kept := ARRAY(SELECT n FROM generate_subscripts(event_items, 1) AS n WHERE done[event_items[n]]
                              ORDER BY n);
                kept_calls := ARRAY(SELECT n FROM generate_subscripts(k_keys, 1) AS n WHERE done[n] ORDER BY n);
                RETURN QUERY SELECT event_items[kept[a.o_index]], kept[a.o_index], a.o_sequence, a.o_deliveries
                FROM signing_gateway_append_tail(
                    ARRAY(SELECT event_ids[k] FROM unnest(kept) WITH ORDINALITY AS x(k, n) ORDER BY n),
                    ARRAY(SELECT event_types[k] FROM unnest(kept) WITH ORDINALITY AS x(k, n) ORDER BY n),
                    ARRAY(SELECT event_instances[k] FROM unnest(kept) WITH ORDINALITY AS x(k, n) ORDER BY n),
                    ARRAY(SELECT event_apps[k] FROM unnest(kept) WITH ORDINALITY AS x(k, n) ORDER BY n),
                    ARRAY(SELECT event_times[k] FROM unnest(kept) WITH ORDINALITY AS x(k, n) ORDER BY n),
                    ARRAY(SELECT event_bodies[k] FROM unnest(kept) WITH ORDINALITY AS x(k, n) ORDER BY n),
                    COALESCE((SELECT jsonb_agg(audits -> (k - 1) ORDER BY n)
                              FROM unnest(kept_calls) WITH ORDINALITY AS x(k, n)), '[]'::jsonb),
                    ARRAY(SELECT audit_heads[k] FROM unnest(kept_calls) WITH ORDINALITY AS x(k, n) ORDER BY n),
                    ARRAY(SELECT audit_tails[k] FROM unnest(kept_calls) WITH ORDINALITY AS x(k, n) ORDER BY n)
                ) AS a;
            END
            $$
            """,
        ],
    ]
}
