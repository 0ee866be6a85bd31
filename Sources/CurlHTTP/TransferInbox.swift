import CCurl
import Synchronization
import Transport

/// The continuation a caller awaits; the curl thread resumes it exactly once.
typealias ExchangeContinuation = CheckedContinuation<Result<InboundResponse, TransportError>, Never>

/// A request handed from a Swift task to the curl thread.
struct Submission: Sendable {
    let id: UInt64
    let request: OutboundRequest
    let continuation: ExchangeContinuation
}

/// The only state shared between Swift tasks and the curl thread, behind one lock.
///
/// Tracks each exchange from reservation to completion so that a cancellation arriving at any point
/// (before submission, while queued, while running, after completion) is handled exactly once.
final class TransferInbox: Sendable {
    /// What the curl thread picks up on each loop turn.
    struct Work {
        var starts: [Submission] = []
        var cancels: [UInt64] = []
        var stopping = false
    }

    private enum Entry {
        case reserved
        case cancelledBeforeSubmit
        case queued
        case running
    }

    private struct State {
        var nextID: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        var work = Work()
        /// Set by the curl thread while its multi handle is alive, so `curl_multi_wakeup` is never
        /// called on a freed handle.
        var multi: WakeupHandle?
        var joinClaimed = false
        /// A wake-up was sent since the curl thread last took its work: it will take this work too, so another
        /// would only cost a write to libcurl's socketpair and a needless loop turn (many, under load).
        var wakePending = false

        mutating func wakeUp() {
            guard !wakePending else { return }
            wakePending = true
            multi?.wake()
        }
    }

    private let state = Mutex(State())

    /// The error for exchanges that meet a client that is shut down.
    static let closed = TransportError.cancelled(sent: false)

    func reserve() -> UInt64 {
        state.withLock { state in
            state.nextID &+= 1
            state.entries[state.nextID] = .reserved
            return state.nextID
        }
    }

    func submit(_ submission: Submission) {
        let rejected: TransportError? = state.withLock { state in
            if state.entries[submission.id] == .cancelledBeforeSubmit || state.work.stopping {
                state.entries[submission.id] = nil
                return state.work.stopping ? Self.closed : .cancelled(sent: false)
            }
            state.entries[submission.id] = .queued
            state.work.starts.append(submission)
            state.wakeUp()
            return nil
        }
        if let rejected { submission.continuation.resume(returning: .failure(rejected)) }
    }

    func cancel(_ id: UInt64) {
        let dequeued: Submission? = state.withLock { state in
            switch state.entries[id] {
            case .reserved:
                state.entries[id] = .cancelledBeforeSubmit
            case .queued:
                // Not yet seen by the curl thread: take it back, nothing touched the network.
                state.entries[id] = nil
                if let index = state.work.starts.firstIndex(where: { $0.id == id }) {
                    return state.work.starts.remove(at: index)
                }
            case .running:
                state.work.cancels.append(id)
                state.wakeUp()
            case .cancelledBeforeSubmit, nil:
                break  // already cancelled or already completed
            }
            return nil
        }
        dequeued?.continuation.resume(returning: .failure(.cancelled(sent: false)))
    }

    /// Curl thread: takes all pending work; submissions handed out are now running.
    func take() -> Work {
        state.withLock { state in
            let work = state.work
            state.work = Work(stopping: work.stopping)
            state.wakePending = false
            if !work.stopping {
                for submission in work.starts { state.entries[submission.id] = .running }
            }
            return work
        }
    }

    /// Curl thread: the exchange is over; later cancellations of it are no-ops.
    func complete(_ id: UInt64) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Curl thread: publish or withdraw the multi handle used for wakeups.
    func attach(_ multi: UnsafeMutableRawPointer?) {
        let handle = multi.map(WakeupHandle.init)
        state.withLock { $0.multi = handle }
    }

    /// Returns true for the first caller only, who must then join the thread.
    func beginShutdown() -> Bool {
        state.withLock { state in
            guard !state.joinClaimed else { return false }
            state.joinClaimed = true
            state.work.stopping = true
            state.wakeUp()
            return true
        }
    }

    /// The curl thread could not start its loop: fail what is queued and refuse everything later.
    func closeWithoutLoop() {
        let stranded: [Submission] = state.withLock { state in
            state.work.stopping = true
            let starts = state.work.starts
            state.work.starts = []
            for submission in starts { state.entries[submission.id] = nil }
            return starts
        }
        for submission in stranded { submission.continuation.resume(returning: .failure(Self.closed)) }
    }
}

/// The multi handle as seen from other threads: good for nothing but `curl_multi_wakeup`, the one
/// multi call libcurl documents as safe from any thread. Kept as an address so it can cross threads;
/// `TransferInbox` withdraws it (under its lock) before the handle is freed.
struct WakeupHandle: Sendable {
    private let address: UInt

    init(_ multi: UnsafeMutableRawPointer) { address = UInt(bitPattern: multi) }

    func wake() {
        if let multi = UnsafeMutableRawPointer(bitPattern: address) { _ = curl_multi_wakeup(multi) }
    }
}
