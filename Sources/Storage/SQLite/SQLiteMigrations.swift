/// The SQLite schema, as numbered steps recorded in `schema_version`. Append steps; never edit one.
enum SQLiteMigrations {
    static let steps: [String] = [
        // 1: idempotency keys and the append-only audit log. Times are integer microseconds since 1970.
        """
        CREATE TABLE IF NOT EXISTS idempotency_keys (
            client_id TEXT NOT NULL,
            key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('in_flight', 'completed')),
            lease_until INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            response_status INTEGER,
            response_content_type TEXT,
            response_body BLOB,
            PRIMARY KEY (client_id, key)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at);
        CREATE TABLE IF NOT EXISTS audit_log (
            sequence INTEGER PRIMARY KEY,
            time_micros INTEGER NOT NULL,
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
            latency_micros INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            request_digest TEXT,
            response_digest TEXT,
            previous_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log (time_micros);
        CREATE INDEX IF NOT EXISTS audit_log_client ON audit_log (client_id, sequence);
        CREATE INDEX IF NOT EXISTS audit_log_instance ON audit_log (instance, sequence);
        CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        """,
        // 2: webhook ids of signed inbound requests, kept for the timestamp tolerance to refuse replays.
        """
        CREATE TABLE IF NOT EXISTS webhook_ids (
            client_id TEXT NOT NULL,
            webhook_id TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (client_id, webhook_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS webhook_ids_expires_at ON webhook_ids (expires_at);
        """,
        // 3: the events seam: tracked instances, the event outbox, subscriptions, deliveries and their attempts.
        """
        CREATE TABLE IF NOT EXISTS tracked_instances (
            instance TEXT PRIMARY KEY,
            client_id TEXT,
            token_profile TEXT,
            task_id TEXT,
            complete_when_all_signed INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'complete', 'ended', 'expired')),
            snapshot BLOB NOT NULL,
            polls INTEGER NOT NULL,
            next_poll_at INTEGER NOT NULL,
            deadline INTEGER NOT NULL,
            process_next_state TEXT NOT NULL CHECK (process_next_state IN ('not_claimed', 'claimed', 'done')),
            process_next_token TEXT,
            process_next_claimed_at INTEGER,
            traceparent TEXT,
            last_error TEXT,
            lease_owner TEXT,
            lease_until INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS tracked_instances_due ON tracked_instances (status, next_poll_at);
        CREATE TABLE IF NOT EXISTS events (
            sequence INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            instance TEXT NOT NULL,
            app TEXT NOT NULL,
            time_micros INTEGER NOT NULL,
            body BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS events_instance ON events (instance, sequence);
        CREATE INDEX IF NOT EXISTS events_time ON events (time_micros);
        CREATE TABLE IF NOT EXISTS subscriptions (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            types TEXT NOT NULL,
            apps TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            disabled_reason TEXT,
            description TEXT,
            secret TEXT NOT NULL,
            previous_secret TEXT,
            previous_secret_expires_at INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            subscription_id TEXT NOT NULL,
            event_sequence INTEGER NOT NULL,
            event_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            instance TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            failures_since_armed INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            last_status INTEGER,
            last_verdict TEXT,
            lease_owner TEXT,
            lease_until INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
        CREATE INDEX IF NOT EXISTS deliveries_subscription_instance
            ON deliveries (subscription_id, instance, event_sequence);
        CREATE INDEX IF NOT EXISTS deliveries_pending_order ON deliveries (event_sequence) WHERE state = 'pending';
        CREATE INDEX IF NOT EXISTS deliveries_pending_head
            ON deliveries (subscription_id, instance, event_sequence) WHERE state = 'pending';
        CREATE TABLE IF NOT EXISTS delivery_attempts (
            delivery_id INTEGER NOT NULL,
            number INTEGER NOT NULL,
            time_micros INTEGER NOT NULL,
            status INTEGER,
            latency_micros INTEGER NOT NULL,
            verdict TEXT NOT NULL,
            response_excerpt TEXT,
            PRIMARY KEY (delivery_id, number)
        ) WITHOUT ROWID;
        """,
        // 4: a subscription's own pending deliveries in event order, for the per-subscription dispatchers.
        """
        CREATE INDEX IF NOT EXISTS deliveries_pending_subscription
            ON deliveries (subscription_id, event_sequence, id) WHERE state = 'pending';
        """,
        // 5: subscriptions belong to the client that created them; older ones to admins only.
        """
        ALTER TABLE subscriptions ADD COLUMN owner TEXT NOT NULL DEFAULT '_before-ownership';
        CREATE INDEX IF NOT EXISTS subscriptions_owner ON subscriptions (owner);
        CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_sequence);
        """,
        // 6: signed checkpoints of the audit chain's head (append-only), and audit retention: a record may be
        // deleted once a checkpoint above its sequence vouches for the chain that is left.
        """
        CREATE TABLE IF NOT EXISTS audit_checkpoints (
            sequence INTEGER PRIMARY KEY,
            hash TEXT NOT NULL,
            time_micros INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            signature TEXT NOT NULL
        );
        CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
        DROP TRIGGER IF EXISTS audit_log_no_delete;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        WHEN OLD.sequence >= (SELECT COALESCE(MAX(sequence), 0) FROM audit_checkpoints)
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        """,
        // 7: what a sign signed (Altinn's signature document: its id, the signee, each data element's SHA-256).
        "ALTER TABLE audit_log ADD COLUMN signed_data TEXT;",
        // 8: the operator console's sessions, shared by every process on the store (keyed by the id's SHA-256).
        """
        CREATE TABLE IF NOT EXISTS console_sessions (
            key TEXT PRIMARY KEY,
            client_id TEXT NOT NULL,
            csrf_token TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
    ]

    /// Applies the missing steps, each in its own `BEGIN IMMEDIATE` transaction with its version row, so a
    /// second process opening the same file waits instead of applying a step twice.
    static func migrate(_ db: SQLiteConnection) throws(StoreError) {
        try db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)", "migrate: schema_version")
        for (index, sql) in steps.enumerated() {
            let version = Int64(index + 1)
            try db.transaction("migrate: step \(version)") { () throws(StoreError) in
                let check = try db.prepare("SELECT 1 FROM schema_version WHERE version = ?", "migrate: read version")
                try check.bind(.integer(version))
                guard try !check.step() else { return }
                try db.execute(sql, "migrate: step \(version)")
                let record = try db.prepare(
                    "INSERT INTO schema_version (version) VALUES (?)", "migrate: record version")
                try record.bind(.integer(version))
                try record.run()
            }
        }
    }
}
