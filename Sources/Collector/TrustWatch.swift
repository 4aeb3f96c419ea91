import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// What the collector does about a changed trust, on one serial queue: the reload's log line, then the withdrawal of
/// the stored reports the new CRLs revoke — tried again every second while the store cannot be written.
final class TrustFollowUp: @unchecked Sendable {
    /// Every reload's follow-up and every retry run here, one at a time (two withdrawals never overlap here; an
    /// upload's own, `Collector.process`, is serialised with them by the store's write transactions).
    let queue = DispatchQueue(label: "cyberctl.collect.trust")
    /// A withdrawal still to do (its last try failed). Read and written on `queue` only, once the collector runs.
    var withdrawalPending = false
    /// Whether the failure of the pending withdrawal was logged (logged once, not every second).
    var failureLogged = false
}

extension Collector {
    /// One look of the trust watch, on `trustFollowUp.queue`: the files looked at now (whatever a request did), a reload
    /// followed up, a pending withdrawal tried again.
    func watchTrust() {
        dispatchPrecondition(condition: .onQueue(trustFollowUp.queue))
        followUp(trust.check(force: true))
        retryPendingWithdrawal()
    }

    /// On a request (`TrustCheckOnRequest`): the files looked at if a second has passed since the last look; a reload's
    /// follow-up goes to the trust watch's queue, off the event loop.
    func checkTrustOnRequest() {
        let outcome = trust.check()
        guard outcome != .unchanged else { return }
        trustFollowUp.queue.async {
            self.followUp(outcome)
            self.retryPendingWithdrawal()
        }
    }

    /// Logs a look's outcome; after a reload, withdraws what the new trust revokes.
    func followUp(_ outcome: CollectorTrust.Outcome) {
        dispatchPrecondition(condition: .onQueue(trustFollowUp.queue))
        switch outcome {
        case .unchanged:
            return
        case .failed(let problem):
            // The previous trust stays in force: what it revoked is still refused (never an opening).
            logger.error(
                "fichier de l'AC ou de la CRL modifié mais illisible : la confiance précédente reste en vigueur (CA or CRL file changed but does not load; the previous trust stays in force)",
                metadata: ["problem": "\(problem)"])
        case .reloaded:
            logger.notice(
                "fichier de l'AC ou de la CRL modifié : confiance rechargée (CA or CRL file changed: trust reloaded)",
                metadata: ["generation": "\(trust.generation)"])
            trustFollowUp.withdrawalPending = true
            trustFollowUp.failureLogged = false
            recordCRLState()
        }
    }

    /// Withdraws the reports the trust in force revokes when a withdrawal is pending; its first failure logged only.
    func retryPendingWithdrawal() {
        dispatchPrecondition(condition: .onQueue(trustFollowUp.queue))
        let state = trustFollowUp
        guard state.withdrawalPending else { return }
        if withdrawRevokedReports(logFailure: !state.failureLogged) {
            state.withdrawalPending = false
            state.failureLogged = false
        } else {
            state.failureLogged = true
        }
    }
}

/// The collector's trust watch: every `CollectorTrust.checkInterval`, whether or not requests come, a look at the CA
/// and CRL files on the follow-up queue (`Collector.watchTrust`). A service of the collector's `ServiceGroup`: it ends
/// with it (SIGTERM, SIGINT, or the group's end), after the look in progress.
struct TrustWatch: Service {
    let collector: Collector

    func run() async throws {
        // The sleep is cancelled at the graceful shutdown; a look in progress finishes first (it is not cancellable).
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: CollectorTrust.checkInterval)
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    collector.trustFollowUp.queue.async {
                        collector.watchTrust()
                        done.resume()
                    }
                }
            }
        }
    }
}

/// Looks at the trust files on every request, at most once a second (`Collector.checkTrustOnRequest`), before any
/// route answers: a request that is not an upload is a chance to notice a new CRL too.
struct TrustCheckOnRequest: RouterMiddleware {
    typealias Context = CollectorContext
    let collector: Collector

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        collector.checkTrustOnRequest()
        return try await next(request, context)
    }
}
