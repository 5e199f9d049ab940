public import Logging

/// One kind of event that Keel or its helpers write: its `event` name, storage class, usual level, the fields it
/// carries and what it means.
///
/// The catalogue is the single list of event names: `docs/schema.md` is generated from it, and the helpers that
/// write these events take their names from here, so a name can neither drift nor be misspelt at a call site.
public struct EventKind: Sendable, Hashable {
    /// The `event` field's value, a dotted lower-case name.
    public let name: String
    public let storageClass: StorageClass
    /// The level the helper writes at when things went as expected (failures are written at `error` or `warning`).
    public let level: Logger.Level
    /// Canonical fields the event carries (besides the envelope and the task's ids).
    public let fields: [FieldID]
    /// Keys the event carries under `context`.
    public let contextKeys: [String]
    public let meaning: String

    init(
        _ name: String, _ storageClass: StorageClass = .ops, _ level: Logger.Level = .info, fields: [FieldID] = [],
        context: [String] = [], _ meaning: String
    ) {
        self.name = name
        self.storageClass = storageClass
        self.level = level
        self.fields = fields
        self.contextKeys = context
        self.meaning = meaning
    }
}

/// Every event name Keel writes, grouped as `docs/schema.md` shows them.
public enum EventCatalogue {
    // HTTP
    public static let httpRequest = EventKind(
        "http.request", fields: [.method, .route, .status, .durationMS, .bytesIn, .bytesOut, .errorCode, .retryable],
        "One request at the HTTP edge, written when its response has been sent (or failed). `route` is the matched "
            + "template, never the raw path; headers and bodies are never logged.")

    // Operations
    public static let operationStarted = EventKind(
        "operation.started", context: ["operation", "operation_id", "parent_operation_id"],
        "A named unit of work began (`Keel.operation`).")
    public static let operationEnded = EventKind(
        "operation.ended", fields: [.durationMS, .errorCode, .retryable, .error],
        context: ["operation", "operation_id", "parent_operation_id", "outcome"],
        "The unit of work ended: `outcome` is `ok`, `error` (with the error, at ERROR) or `cancelled`.")

    // Model usage and tool calls
    public static let usageRecorded = EventKind(
        "usage.recorded", .cost, fields: [.provider, .model, .tokensPrompt, .tokensResponse, .costUSD],
        "Tokens and cost of one model call, for billing and budgets. Never sampled or dropped.")
    public static let toolCallStarted = EventKind(
        "tool_call.started", fields: [.provider, .model], context: ["tool", "call_id", "input_bytes", "input_sha256"],
        "A tool or model call began: sizes and hashes of its input, never the content.")
    public static let toolCallEnded = EventKind(
        "tool_call.ended", fields: [.provider, .model, .durationMS],
        context: ["tool", "call_id", "output_bytes", "output_sha256"],
        "A tool or model call returned: sizes and hashes of its output, never the content.")
    public static let toolCallFailed = EventKind(
        "tool_call.failed", .ops, .error, fields: [.provider, .model, .durationMS, .errorCode, .retryable, .error],
        context: ["tool", "call_id"], "A tool or model call failed.")

    // Run timeline
    public static let flowStarted = EventKind(
        "flow.started", fields: [.runID, .flowID], context: ["flow"], "A multi-step run (or one flow of it) began.")
    public static let flowEnded = EventKind(
        "flow.ended", fields: [.runID, .flowID, .durationMS, .errorCode, .retryable, .error], context: ["flow", "outcome"],
        "The flow ended, with its `outcome`.")
    public static let stepStarted = EventKind(
        "step.started", fields: [.runID, .flowID, .stepID], context: ["step"], "A step of a flow began.")
    public static let stepEnded = EventKind(
        "step.ended", fields: [.runID, .flowID, .stepID, .durationMS, .errorCode, .retryable, .error],
        context: ["step", "outcome"], "The step ended, with its `outcome`.")
    public static let agentDecision = EventKind(
        "agent.decision", fields: [.runID, .flowID, .stepID], context: ["decision", "reason", "options"],
        "An agent chose what to do next: the decision as a short label, and how many options it had.")
    public static let statePulse = EventKind(
        "state.pulse", context: ["state", "state_sha256", "changed_keys"],
        "A periodic fingerprint of some state: a hash of the snapshot and the names of the keys that changed, "
            + "never the values.")

    // Security audit
    public static let loginSucceeded = EventKind(
        "auth.login_succeeded", .audit, fields: [.userID], context: ["auth_method"], "A user signed in.")
    public static let loginFailed = EventKind(
        "auth.login_failed", .audit, .warning, fields: [.userID], context: ["auth_method", "reason"],
        "A sign-in was refused.")
    public static let oauthAuthorized = EventKind(
        "oauth.authorized", .audit, fields: [.userID, .provider], context: ["client_id", "scopes"],
        "A user granted an OAuth client access.")
    public static let oauthTokenRefreshed = EventKind(
        "oauth.token_refreshed", .audit, fields: [.userID, .provider], context: ["client_id"],
        "An OAuth access token was refreshed (the token itself is never logged).")
    public static let oauthScopeChanged = EventKind(
        "oauth.scope_changed", .audit, fields: [.userID, .provider], context: ["client_id", "scopes", "previous_scopes"],
        "The scopes of an OAuth grant changed.")
    public static let oauthRevoked = EventKind(
        "oauth.revoked", .audit, fields: [.userID, .provider], context: ["client_id", "reason"],
        "An OAuth grant was revoked.")
    public static let accessDenied = EventKind(
        "access.denied", .audit, .warning, fields: [.userID], context: ["resource", "action", "reason"],
        "A request was refused for lack of permission.")

    // Supervised workers
    public static let workerSpawned = EventKind(
        "worker.spawned", fields: [.workerID, .workerState, .restartCount], context: ["worker_pid"],
        "The supervisor started a worker process.")
    public static let workerReady = EventKind(
        "worker.ready", fields: [.workerID, .workerState, .restartCount], "The worker said it is ready.")
    public static let workerExited = EventKind(
        "worker.exited", .ops, .warning, fields: [.workerID, .workerState, .restartCount, .exitCode],
        context: ["signal", "uptime_ms"], "A worker process ended: its `exit_code`, or the `signal` that ended it.")
    public static let workerRestarting = EventKind(
        "worker.restarting", fields: [.workerID, .workerState, .restartCount, .backoffMS],
        "The supervisor will restart the worker after `backoff_ms`.")
    public static let workerCrashLoop = EventKind(
        "worker.crash_loop", .ops, .error, fields: [.workerID, .workerState, .restartCount],
        context: ["crashes", "window_ms"], "The worker crashed too often; the supervisor stopped restarting it.")
    public static let workerMaintenance = EventKind(
        "worker.maintenance", fields: [.workerID, .workerState, .maintenanceMode],
        "Maintenance mode was switched on (drain, stop restarting) or off.")
    public static let workerOutput = EventKind(
        "worker.output", fields: [.workerID], context: ["stream", "bytes"],
        "A line a worker printed that is not JSON: only which stream, how long, and when — never its text.")

    // Keel's own
    public static let dropped = EventKind(
        "keel.dropped", .ops, .warning, context: ["dropped"],
        "Events were dropped because the queue was full; written once the pressure ends.")
    public static let checkpoint = EventKind(
        "keel.checkpoint", .audit, context: ["checkpoint"],
        "An audit-log checkpoint: `checkpoint` {`seq`, `hash`, `sealed`, `hmac`} vouches for the chain so far.")

    // keel serve
    public static let dataForgotten = EventKind(
        "data.forgotten", .audit, .notice, fields: [.tenantID],
        context: ["requested_by", "subject", "user_id_sha256_prefix", "deleted_events"],
        "`keel serve` erased a user's (or a whole tenant's) events on request: who asked (a token id), what and how "
            + "many. The user appears only as a SHA-256 prefix, never the id just erased.")

    public static let alertPending = EventKind(
        "alert.pending", .audit, .notice, context: ["alertname", "rule_group", "labels", "value", "active_at"],
        "`keel serve`'s ruler: an alerting rule's expression returned a label set; it fires once it has for the rule's "
            + "`for`. `labels` are the alert's, `value` the expression's.")
    public static let alertFiring = EventKind(
        "alert.firing", .audit, .warning, context: ["alertname", "rule_group", "labels", "value", "active_at"],
        "An alert fires: its label set has been returned for the rule's `for` (at once without one).")
    public static let alertResolved = EventKind(
        "alert.resolved", .audit, .notice, context: ["alertname", "rule_group", "labels", "value", "active_at"],
        "A firing alert's label set is no longer returned (for `keep_firing_for`, when the rule has one).")
    public static let alertDropped = EventKind(
        "alert.inactive", .audit, .info, context: ["alertname", "rule_group", "labels", "value", "active_at"],
        "A pending alert's label set went missing before it fired: it is dropped, and nothing resolves.")
    public static let alertNotified = EventKind(
        "alert.notified", .audit, .info, context: ["alertnames", "receiver", "status", "attempts"],
        "A notification of alerts reached its receiver (an Alertmanager, a webhook, Slack: its kind and host, never "
            + "its address, which may hold a secret); `attempts` counts the tries it took.")
    public static let alertNotifyFailed = EventKind(
        "alert.notify_failed", .audit, .error, context: ["alertnames", "receiver", "status", "attempts", "reason"],
        "A notification of alerts was given up: the receiver refused it (a 4xx), kept failing for the attempts allowed, "
            + "or it was dropped from a full queue. `reason` says which.")

    /// Every kind, in the order the schema document lists them.
    public static let all: [EventKind] = [
        httpRequest, operationStarted, operationEnded, usageRecorded, toolCallStarted, toolCallEnded, toolCallFailed,
        flowStarted, flowEnded, stepStarted, stepEnded, agentDecision, statePulse, loginSucceeded, loginFailed,
        oauthAuthorized, oauthTokenRefreshed, oauthScopeChanged, oauthRevoked, accessDenied, workerSpawned, workerReady,
        workerExited, workerRestarting, workerCrashLoop, workerMaintenance, workerOutput, dropped, checkpoint,
        dataForgotten, alertPending, alertFiring, alertResolved, alertDropped,
        alertNotified, alertNotifyFailed,
    ]
}
