import AsyncHTTPClient
import Foundation
import KeelTools
import NIOCore
import NIOHTTP1

/// Follows a server's `/v1/tail` (Server-Sent Events) and prints each event; when the connection drops it
/// reconnects with `Last-Event-ID`, so nothing is missed or shown twice.
struct ServerTail {
    let client: ServerClient
    let parameters: [(String, String?)]

    func run(_ printer: TailPrinter) async throws {
        var lastID: String?
        var failures = 0
        while !printer.outputClosed {
            do {
                var request = client.request("/v1/tail", parameters)
                if let lastID { request.headers.add(name: "Last-Event-ID", value: lastID) }
                let response = try await client.send(request, timeout: .hours(24 * 365))
                failures = 0
                var pending: [UInt8] = []
                var data: [UInt8] = []
                var id: String?
                for try await buffer in response.body {
                    pending += buffer.readableBytesView
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let line = pending[..<newline]
                        if line.isEmpty {
                            // A blank line ends an event.
                            if let id { lastID = id }
                            if !data.isEmpty { data.withUnsafeBytes(printer.handle) }
                            data = []
                            id = nil
                        } else if line.starts(with: Array("data: ".utf8)) {
                            data += line.dropFirst(6)
                        } else if line.starts(with: Array("id: ".utf8)) {
                            id = String(decoding: line.dropFirst(4), as: UTF8.self)
                        }
                        pending.removeSubrange(...newline)
                    }
                    if printer.outputClosed { return }
                }
            } catch let failure as ServerClient.Failure where failure.description.hasPrefix("4") {
                throw failure
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("keel: tail interrupted (\(error)); reconnecting\n".utf8))
            }
            try await Task.sleep(for: .milliseconds(min(5000, 250 * (1 << min(failures, 5)))))
        }
    }
}
