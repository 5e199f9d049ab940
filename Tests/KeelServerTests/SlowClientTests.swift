import Foundation
import Keel
@testable import KeelServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Clients that send too slowly, or stop halfway, are cut off: they cannot hold connections and buffers for ever.
@Suite struct SlowClientTests {
    /// A raw TCP connection to the server.
    final class Connection {
        let fd: Int32
        init(port: Int, readTimeout: Int = 10) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw CancellationError() }
            var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        func send(_ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }
        /// Everything the server sends until it closes (or 10 s pass).
        func readAll() -> String {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                out += buffer[0..<n]
            }
            return String(decoding: out, as: UTF8.self)
        }
        deinit { close(fd) }
    }

    @Test func aHalfSentHeadIsClosed() async throws {
        let fixture = try TestServer { $0.idleTimeout = .seconds(1) }
        defer { fixture.remove() }
        try await fixture.run { client in
            // A slowloris: part of a request head, then nothing. Closed without an answer after the idle timeout.
            let loris = try Connection(port: client.port)
            loris.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            let started = ContinuousClock.now
            let answer = loris.readAll()
            #expect(answer.isEmpty, "\(answer.prefix(200))")
            #expect(ContinuousClock.now - started < .seconds(9), "the half-sent head was not cut off")
            // Meanwhile others are served.
            #expect(try await client.ingest([keelLine("fine")], token: fixture.ingestA).status == 200)
        }
    }

    @Test func aBodyThatNeverEndsIsRefused() async throws {
        // Only the body timeout is in play (the idle one is far off), however busy the machine running the suite.
        let fixture = try TestServer {
            $0.bodyTimeout = .seconds(1)
            $0.idleTimeout = .seconds(300)
        }
        defer { fixture.remove() }
        try await fixture.run { client in
            // A whole head, then a body that stops halfway: 408 once the body timeout passes.
            let trickle = try Connection(port: client.port, readTimeout: 120)
            trickle.send(
                "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(fixture.ingestA)\r\n"
                    + "Content-Type: application/x-ndjson\r\nContent-Length: 1000\r\n\r\n{\"message\":")
            let answer = trickle.readAll()
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(300))")
            #expect(answer.contains("body_timeout"))
            #expect(try await client.ingest([keelLine("fine")], token: fixture.ingestA).status == 200)
        }
    }
}
