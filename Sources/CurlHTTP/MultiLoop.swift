import CCurl
import Transport

/// The curl thread's whole world: one multi handle (and with it the connection cache), the running
/// transfers and the easy-handle free list. Created, used and destroyed on that one thread; other
/// threads reach it only through `TransferInbox`.
final class MultiLoop {
    private let multi: UnsafeMutableRawPointer
    private let inbox: TransferInbox
    private let configuration: CurlHTTPClient.Configuration
    private var pool: EasyHandlePool
    private var byID: [UInt64: Transfer] = [:]
    private var byEasy: [UnsafeMutableRawPointer: Transfer] = [:]

    /// Upper bound on one `curl_multi_poll` sleep. Wakeups and libcurl's own timers cut it short;
    /// the bound only limits the damage of a lost wakeup.
    private static let maxPollMilliseconds: Int32 = 1000

    init?(inbox: TransferInbox, configuration: CurlHTTPClient.Configuration) {
        guard let multi = curl_multi_init() else { return nil }
        self.multi = multi
        self.inbox = inbox
        self.configuration = configuration
        self.pool = EasyHandlePool(capacity: 64)
        _ = cg_multi_setopt_long(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX)
        _ = cg_multi_setopt_long(
            multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        _ = cg_multi_setopt_long(
            multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, configuration.maxTotalConnections)
        // Size of the keep-alive cache: keep as many idle connections as we may ever open.
        _ = cg_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.maxTotalConnections)
    }

    /// Runs until shutdown, then fails whatever is left and frees libcurl state.
    func run() {
        inbox.attach(multi)
        while true {
            let work = inbox.take()
            for id in work.cancels { cancel(id) }
            if work.stopping {
                for submission in work.starts { reject(submission, TransferInbox.closed) }
                break
            }
            for submission in work.starts { start(submission) }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished()
            _ = curl_multi_poll(multi, nil, 0, Self.maxPollMilliseconds, nil)
        }
        // Withdraw the handle from wakeups before it is freed.
        inbox.attach(nil)
        for id in Array(byID.keys) { cancel(id) }
        curl_multi_cleanup(multi)
    }

    private func start(_ submission: Submission) {
        guard let easy = pool.acquire() else {
            return reject(submission, .notSent(.invalidRequest))
        }
        let transfer = Transfer(
            submission: submission, easy: easy, responseLimit: configuration.maxResponseBodyBytes)
        let configured = transfer.configure(submission.request, configuration)
        guard configured == CURLE_OK else {
            return finish(transfer, transfer.outcome(configured))
        }
        guard curl_multi_add_handle(multi, easy) == CURLM_OK else {
            return finish(transfer, .failure(.notSent(.invalidRequest)))
        }
        byID[transfer.id] = transfer
        byEasy[easy] = transfer
    }

    /// Detaches a running transfer (libcurl closes its connection if mid-exchange) and resumes the
    /// caller right away. Unknown ids are transfers that already finished.
    private func cancel(_ id: UInt64) {
        guard let transfer = byID[id] else { return }
        detach(transfer)
        finish(transfer, .failure(.cancelled(sent: transfer.facts().mayHaveSent)))
    }

    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                let transfer = byEasy[easy]
            else { continue }
            let code = message.pointee.data.result
            detach(transfer)
            finish(transfer, transfer.outcome(code))
        }
    }

    private func detach(_ transfer: Transfer) {
        _ = curl_multi_remove_handle(multi, transfer.easy)
        byID[transfer.id] = nil
        byEasy[transfer.easy] = nil
    }

    private func finish(_ transfer: Transfer, _ result: Result<InboundResponse, TransportError>) {
        pool.release(transfer.easy)
        inbox.complete(transfer.id)
        transfer.continuation.resume(returning: result)
    }

    private func reject(_ submission: Submission, _ error: TransportError) {
        inbox.complete(submission.id)
        submission.continuation.resume(returning: .failure(error))
    }
}
