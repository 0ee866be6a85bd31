package import AltinnAPI

/// Every use case one gateway process offers its callers, built once by the composition root (`App`); the HTTP
/// routes only translate requests into their commands and their outcomes into answers.
package struct UseCases: Sendable {
    package var sign: SignUseCase
    package var processNext: ProcessNextUseCase
    package var reject: RejectUseCase
    package var signingState: SigningStateUseCase
    package var tracking: Tracking
    package var subscriptions: Subscriptions
    package var feeds: Feeds
    package var audit: AuditTrail
    /// `GET /v1/apps/{org}/{app}`: what an app's metadata and process definition mean for signing.
    package var preflight: AppPreflightUseCase
    /// Where instance references resolve (the Altinn environment the gateway talks to).
    package var environment: AltinnEnvironment
    package var defaultTokenProfile: String

    package init(
        sign: SignUseCase, processNext: ProcessNextUseCase, reject: RejectUseCase, signingState: SigningStateUseCase,
        tracking: Tracking, subscriptions: Subscriptions, feeds: Feeds,
        audit: AuditTrail,
        preflight: AppPreflightUseCase,
        environment: AltinnEnvironment, defaultTokenProfile: String
    ) {
        self.sign = sign
        self.processNext = processNext
        self.reject = reject
        self.signingState = signingState
        self.tracking = tracking
        self.subscriptions = subscriptions
        self.feeds = feeds
        self.audit = audit
        self.preflight = preflight
        self.environment = environment
        self.defaultTokenProfile = defaultTokenProfile
    }
}
