/// How durable a write must be before the call that made it returns.
package enum Durability: Sendable, Equatable {
    /// On disk (fsynced) first: what a change, a legal act or its idempotency record needs.
    case synced
    /// Written to the database before the call returns, so it survives the gateway's process dying; on disk with
    /// the next `synced` commit or checkpoint, so a power loss in between may lose it. For the audit records of
    /// calls that change nothing (reads, refusals): an fsync per read was most of a read's added latency and its
    /// tail under load, and protects no act.
    case written
}
