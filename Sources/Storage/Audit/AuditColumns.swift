/// The audit table's columns in the order both engines select and insert them.
enum AuditColumns {
    static let names = [
        "sequence", "time_micros", "client_id", "source_address", "request_id", "traceparent", "idempotency_key",
        "operation", "instance", "token_profile", "upstream_method", "upstream_url", "upstream_status",
        "latency_micros", "outcome", "request_digest", "response_digest", "previous_hash", "hash", "signed_data",
    ]

    static let list = names.joined(separator: ", ")
}
