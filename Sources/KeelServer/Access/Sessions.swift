import Foundation
import HTTPTypes
import Keel
import Synchronization

/// The web UI's sign-ins: a read or admin token, sent once, becomes a random session id in an `HttpOnly`,
/// `SameSite=Strict` cookie, so the page never holds the token (not in a URL, not in its storage). Each session has a
/// CSRF token of its own that the page sends back in `X-Keel-CSRF` with every call that is not a `GET`.
///
/// Sessions live in memory: a restart signs everyone out. The token is kept with its session and checked again on
/// every request (``Authenticator``), so revoking or expiring it ends the session at once. A session ends after
/// ``idle`` without use, after ``longest`` in all, or at sign-out; beyond ``capacity`` the least recently used goes.
final class SessionStore: Sendable {
    struct Session: Sendable {
        /// The token signed in with: what each request is authenticated by.
        let token: String
        let csrf: String
        let started: ContinuousClock.Instant
        var used: ContinuousClock.Instant
    }

    static let cookieName = "keel_session"
    static let csrfHeader = HTTPField.Name("X-Keel-CSRF")!

    let idle: Duration
    let longest: Duration
    let capacity: Int
    private let sessions = Mutex<[String: Session]>([:])

    init(idle: Duration = .seconds(12 * 3600), longest: Duration = .seconds(7 * 86_400), capacity: Int = 10_000) {
        self.idle = idle
        self.longest = longest
        self.capacity = capacity
    }

    /// Starts a session for `token` (already checked); returns its id (the cookie's value) and CSRF token.
    func start(token: String, now: ContinuousClock.Instant = .now) -> (id: String, csrf: String) {
        let id = Self.randomHex()
        let csrf = Self.randomHex()
        sessions.withLock { sessions in
            sessions = sessions.filter { isLive($0.value, now: now) }
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.used < $1.value.used })?.key {
                sessions[oldest] = nil
            }
            sessions[id] = Session(token: token, csrf: csrf, started: now, used: now)
        }
        return (id, csrf)
    }

    /// The live session of `id`, marked as used now; `nil` when there is none (never was, signed out, or ended).
    func session(_ id: String, now: ContinuousClock.Instant = .now) -> Session? {
        sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard isLive(session, now: now) else {
                sessions[id] = nil
                return nil
            }
            sessions[id]!.used = now
            return sessions[id]
        }
    }

    func end(_ id: String) { sessions.withLock { _ = $0.removeValue(forKey: id) } }

    private func isLive(_ session: Session, now: ContinuousClock.Instant) -> Bool {
        now - session.used < idle && now - session.started < longest
    }

    /// 32 random bytes as hex, from the system's cryptographic generator.
    private static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.lowercase((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Whether two tokens are the same, in a time that does not depend on where they first differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The session id in a request's `Cookie` header, if any.
    static func sessionID(in cookies: String?) -> String? {
        guard let cookies else { return nil }
        for pair in cookies.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// The `Set-Cookie` value that hands a browser session `id` (`Secure` when the request came over TLS, as a
    /// proxy in front of `keel serve` says with `X-Forwarded-Proto`), or clears it when `id` is `nil`.
    static func cookie(_ id: String?, secure: Bool) -> String {
        var cookie = "\(cookieName)=\(id ?? ""); Path=/; HttpOnly; SameSite=Strict"
        if id == nil { cookie += "; Max-Age=0" }
        if secure { cookie += "; Secure" }
        return cookie
    }
}
