import Crypto
import Hummingbird
import Logging
import Prometheus
import Keel
import KeelWire
import KeelStore
import NIOCore

extension KeelServer {
    /// `POST /v1/forget` (admin): `{"user_id": "…"}` deletes every event of that user in the tenant;
    /// `{"whole_tenant": true}` deletes the tenant's events. A dry run — the default — only counts; `"dry_run": false`
    /// deletes. A deletion always writes a `data.forgotten` audit event into the tenant (who asked, what was deleted
    /// and how many, the user as a SHA-256 prefix rather than the id just erased), also when nothing matched.
    func forget(_ request: Request, _ admin: Principal) async -> Response {
        var request = request
        let body: [(key: String, value: JSONValue)]
        do {
            let buffer = try await request.collectBody(upTo: 64 << 10)
            body = try JSONBody.object(Array(buffer.readableBytesView), limits: configuration.limits, what: "the body")
        } catch let error as IngestError {
            return Self.error(error.status, error.reason, error.message)
        } catch {
            return Self.error(.contentTooLarge, "body_too_large", "the body is larger than 64 KiB")
        }
        func member(_ key: String) -> JSONValue? { body.first { $0.key == key }?.value }
        let principal: Principal
        do {
            principal = try authenticator.scoped(admin, to: member("tenant")?.stringValue)
        } catch {
            return Self.refusal(error)
        }
        let dryRun = member("dry_run") != .bool(false)
        let forgetRequest: ForgetRequest
        if let userID = member("user_id")?.stringValue, !userID.isEmpty {
            forgetRequest = .user(tenant: principal.tenant, userID: userID)
        } else if member("whole_tenant") == .bool(true) {
            forgetRequest = .tenant(principal.tenant)
        } else {
            return Self.error(.badRequest, "invalid_parameter", "name a user_id, or \"whole_tenant\": true")
        }
        do {
            let store = self.store
            let count = try await blocking { try store.forget(forgetRequest, dryRun: dryRun) }
            var answer: [(key: String, value: JSONValue)] = [
                ("dry_run", .bool(dryRun)), ("tenant", .string(principal.tenant)), ("events", .number(String(count))),
            ]
            if case .user(_, let userID) = forgetRequest { answer.append(("user_id", .string(userID))) }
            if !dryRun {
                let audit = try auditForgotten(forgetRequest, count: count, by: principal)
                _ = try await blocking { try store.append([audit]) }
                arrivals.notify(tenant: audit.tenant)
                answer.append(("audit_event_id", .string(audit.eventID)))
            }
            return Self.json(.ok, JSONValue.object(answer).jsonText + "\n")
        } catch {
            return storeFailure(error)
        }
    }

    /// The `data.forgotten` event of an erasure, in the tenant's own store, and the same line in the server's log.
    private func auditForgotten(_ request: ForgetRequest, count: Int, by principal: Principal) throws -> StoredEvent {
        var context: [(key: String, value: JSONValue)] = [
            ("requested_by", .string(principal.tokenID)), ("deleted_events", .number(String(count))),
        ]
        switch request {
        case .user(_, let userID):
            let digest = Hex.lowercase(SHA256.hash(data: Array(userID.utf8)).prefix(8))
            context += [("subject", .string("user")), ("user_id_sha256_prefix", .string(digest))]
        case .tenant:
            context.append(("subject", .string("tenant")))
        }
        let now = Timestamp.now().microsecondsSinceEpoch
        let id = EventIDGenerator.next(at: Timestamp(microsecondsSinceEpoch: now))
        let record = IncomingRecord(
            members: [
                ("level", .string("NOTICE")), ("message", .string("forgot \(count) events")),
                ("event", .string(EventCatalogue.dataForgotten.name)), ("storage_class", .string("audit")),
                ("service", .string("keel-server")), ("context", .object(context)),
            ],
            identity: Array("\(id.high)-\(id.low)".utf8))
        let event = try normalizer.normalize(record, tenant: request.tenant, now: now)
        var metadata: Logger.Metadata = ["tenant_id": "\(request.tenant)"]
        for (key, value) in context { metadata[key] = .string(value.stringValue ?? value.jsonText) }
        logger.log(EventCatalogue.dataForgotten, "forgot \(count) events", metadata: metadata)
        return event
    }
}
