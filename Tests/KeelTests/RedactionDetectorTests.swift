@testable import Keel
import Testing

private let redactor = StringRedactor()

/// The types found in `text`, or [] when it is left alone.
private func found(_ text: String) -> [RedactionType] { redactor.redact(text)?.types ?? [] }

/// Asserts that `secret` is gone from the redacted `text` and that `type` was reported.
private func expectRedacted(_ text: String, _ secret: String, _ type: RedactionType, sourceLocation: SourceLocation = #_sourceLocation) {
    let result = redactor.redact(text)
    #expect(result?.types.contains(type) == true, "\(type) not found in \(text.debugDescription): \(String(describing: result?.types))", sourceLocation: sourceLocation)
    #expect(result?.text.contains(secret) == false, "\(secret) survived: \(result?.text ?? text)", sourceLocation: sourceLocation)
}

private func expectUntouched(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(redactor.redact(text) == nil, "\(text.debugDescription) was changed to \(redactor.redact(text)?.text ?? "")", sourceLocation: sourceLocation)
}

struct RedactionDetectorTests {
    @Test(arguments: [
        "alice@example.com", "j.doe+news@mail.co.uk", "o'brien@firma.de", "ÜBER_user-1@sub.domain.travel",
        "x@y.io",
    ])
    func emails(_ email: String) {
        expectRedacted("contact <\(email)> please", email, .email)
    }

    @Test(arguments: [
        "+1-616-713-4546", "+44 20 7946 0958", "(290)500-7906", "570.866.3544", "001-720-556-5665", "418-892-3176",
        "070-8128-9367", "41-4666-7431", "06 30 19 96 07", "+33 (0)5 57 32 65 60", "0497408342", "+55 18 1882-2789",
        "46 8641-4884", "(05055) 865481", "+49 (0) 1278 932659", "+49(0)9642 74070", "05804896431",
    ])
    func phones(_ phone: String) {
        expectRedacted("call me on \(phone) tomorrow", phone, .phone)
    }

    @Test(arguments: ["4111 1111 1111 1111", "4834-2703-1754-5229", "4223846029858627", "378282246310005", "6011641377900456"])
    func luhnValidCards(_ card: String) {
        expectRedacted("card \(card) charged", card, .creditCard)
    }

    @Test(arguments: ["GB82 WEST 1234 5698 7654 32", "GB14ETLO73913947981137", "DE89370400440532013000", "FR1420041010050500013M02606"])
    func mod97ValidIBANs(_ iban: String) {
        expectRedacted("pay to \(iban).", iban, .iban)
    }

    @Test func ssnsFollowTheSSARules() {
        expectRedacted("ssn 459-11-2641 on file", "459-11-2641", .usSSN)
        for invalid in ["666-20-9788", "000-13-5965", "989-80-9496", "123-00-4567", "123-45-0000"] {
            expectUntouched("ssn \(invalid) on file")
        }
    }

    @Test func ipAddresses() {
        expectRedacted("from 36.26.117.70 via", "36.26.117.70", .ipv4)
        expectRedacted("client=2001:db8::8a2e:370:7334", "2001:db8::8a2e:370:7334", .ipv6)
        expectRedacted("peer a733:c3fc:49c4:abda:3a94:6eea:909f:84ef", "a733:c3fc:49c4:abda:3a94:6eea:909f:84ef", .ipv6)
        expectRedacted("from 10.0.0.127 via", "10.0.0.127", .ipv4)
        expectRedacted("from 128.0.0.1 via", "128.0.0.1", .ipv4)
    }

    /// Loopback and unspecified addresses name no one: a server's own "listening on 127.0.0.1:8080" stays readable.
    @Test func loopbackAndUnspecifiedAddressesAreKept() {
        for text in ["listening on 127.0.0.1:8080", "bound 127.5.6.7", "listening on 0.0.0.0:80", "loopback ::1 bound", "[::1]:8080"] {
            expectUntouched(text)
        }
    }

    @Test func credentials() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        expectRedacted("token \(jwt) rejected", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", .jwt)
        expectRedacted("Authorization: Bearer m-Hug~XGkRCdIv_QRFl~cXeQL3yhvxO8R", "m-Hug~XGkRCdIv", .bearerToken)
        expectRedacted("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA", .basicCredentials)
        expectRedacted("key AKIAPOWNGFLEZWZOHO7X leaked", "POWNGFLEZWZOHO7X", .awsAccessKey)
        expectRedacted("ghp_YIJNOvwKV9ARuOKLVnSfM2Yf3SUhDTLLJ8Be", "YIJNOvwKV9AR", .githubToken)
        expectRedacted("glpat-xYz1234567890abcdefGH", "xYz1234567890", .gitlabToken)
        expectRedacted("xoxb-802797035402-482635132585-ZFh8hW9wf1ZaC7LWubzm5CKm", "ZFh8hW9wf1Za", .slackToken)
        expectRedacted("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWD", .stripeKey)
        expectRedacted("sk-proj-4DploTvDNqZAA3FrE5wSOP3SW4zDH4Vz", "4DploTvDNqZAA", .openAIKey)
        expectRedacted("sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKl", .anthropicKey)
        expectRedacted("AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe", "SyDaGmWKa4Js", .googleAPIKey)
        expectRedacted(
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA7",
            .privateKey)
        expectRedacted("cut -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B", "MIIEvQIBADANBgkq", .privateKey)
        expectRedacted("postgres://app:KIHuWmM0B8ay3bKUB@db.internal:5432/app", "KIHuWmM0B8ay3bKUB", .urlCredentials)
        expectRedacted("https://x.test/cb?code=abc123def456&state=ok", "abc123def456", .urlCredentials)
        expectRedacted("GET /dl?X-Amz-Signature=9f8e7d6c5b4a&X-Amz-Date=1", "9f8e7d6c5b4a", .urlCredentials)
        expectRedacted("retry with password=hunter22 failed", "hunter22", .inlineSecret)
        expectRedacted("AWS_SECRET_ACCESS_KEY=\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"", "wJalrXUtnFEMI", .inlineSecret)
    }

    @Test(arguments: [
        // Ids, hashes and times.
        "2c5dbc61-0f64-43d4-a8d2-c29b5c14360d", "bf0e1443f883073f6b32aaf0e8afc9a6", "ec3e16a122e76e44",
        "sha256:e98b209e5c95708cbe31d6d6be37ce20e3f2513b15b62921452fb5a93f9cc860", "2023-09-15T06:36:02.060Z",
        "2024-07-03 09:01:32,593", "2025-01-04T22:25:04+08:00", "15.09.2023 06:36", "at 09:01:32 UTC",
        // Versions, ports, counters, money.
        "1.22", "3.39.25+build.219", "0.36.28-rc.4", "v1.2.3", "mysql.internal:3306", "listening on :8080",
        "26,291 rows in 76.0s", "expires_at=1696808793", "order 754090792317 shipped", "$1,234,567.89",
        // Card-shaped numbers that fail Luhn, SSN-shaped numbers that fail the SSA rules.
        "parcel 5234 4638 9342 5627", "4473617425588954", "ssn 666-20-9788",
        // Words that start like keys, MACs, request ids.
        "sketchy", "skeleton-key", "aa:bb:cc:dd:ee:ff", "00000000000000000000000042", "tenant_42", "/v1/chat/completions",
        "token_type=Bearer", "max_tokens=512", "password_changed_at=2025-02-22",
    ])
    func trapsAreLeftAlone(_ text: String) {
        expectUntouched(text)
    }
}

struct KeyRulesTests {
    let rules = KeyRules()

    @Test(arguments: [
        "password", "Password", "passwd", "client_secret", "clientSecret", "Authorization", "authorization",
        "X-Api-Key", "x_api_key", "apiKey", "API KEY", "set-cookie", "Cookie", "access_token", "refreshToken",
        "id_token", "pushToken", "device_token", "AWS_SECRET_ACCESS_KEY", "private_key", "session_key", "credentials",
    ])
    func secretKeysInEveryStyle(_ key: String) {
        #expect(rules.verdict(for: key) == .secret, "\(key)")
    }

    @Test(arguments: ["body", "payload", "request_body", "responseBody", "raw", "prompt", "completion", "messages", "content", "stdout", "stderr"])
    func bodyKeys(_ key: String) {
        #expect(rules.verdict(for: key) == .body, "\(key)")
    }

    @Test(arguments: [
        "token_type", "prompt_tokens", "max_tokens", "token_count", "password_changed_at", "secret_rotation_days",
        "cookie_consent", "content_type", "somebody", "oauth", "dsn", "user_id", "route", "author",
        // Schema v1 fields that end like a secret or a body.
        "tokens_prompt", "tokens_response", "session_id",
    ])
    func harmlessKeysThatLookLikeSecrets(_ key: String) {
        #expect(rules.verdict(for: key) == .keep, "\(key)")
    }
}

struct RedactorTreeTests {
    @Test func secretAndBodyKeysAtAnyDepthAndInArrays() throws {
        let event = try JSONParser.parse(#"""
            {"http":{"headers":{"Authorization":"Bearer abc.def.ghi","X-Request-ID":"r-1"}},
             "items":[{"password":"p1"},{"token":{"nested":"x"}}],
             "request_body":"{\"card\":\"4111 1111 1111 1111\"}","note":"mail bob@example.com",
             "card_number":4111111111111111, "count": 42}
            """#)
        let result = Redactor().redact(event)
        let text = result.value.jsonText
        #expect(!text.contains("abc.def.ghi"))
        #expect(!text.contains("p1\""))
        #expect(!text.contains("nested"))
        #expect(!text.contains("4111"))
        #expect(!text.contains("bob@example.com"))
        #expect(text.contains(#""X-Request-ID":"r-1""#))
        #expect(text.contains(#""request_body":{"redacted":"BODY","bytes":30,"sha256":"#))
        #expect(text.contains(#""count":42"#))
        #expect(Set(result.types) == [.secret, .body, .email, .creditCard])
    }

    @Test func anAllowedPathIsNotTouchedAndIPsCanBeKept() throws {
        var policy = RedactionPolicy(allowedPaths: ["support.email"])
        policy.disabledDetectors = [.ipv4]
        let event = try JSONParser.parse(#"{"support":{"email":"help@acme.test"},"user":"eve@acme.test","ip":"10.1.2.3"}"#)
        let text = Redactor(policy: policy).redact(event).value.jsonText
        #expect(text.contains("help@acme.test"))
        #expect(!text.contains("eve@acme.test"))
        #expect(text.contains("10.1.2.3"))
    }

    @Test func longStringsAreCutWithTheirLengthRecorded() throws {
        let policy = RedactionPolicy(maximumStringLength: 100)
        let long = String(repeating: "é", count: 200)
        let result = Redactor(policy: policy).redact(.string(long))
        guard case .string(let cut) = result.value else { Issue.record("not a string"); return }
        #expect(cut.hasSuffix("…[truncated, 400 bytes]"))
        #expect(cut.utf8.count < 140)
    }
}
