import Foundation
import Keel
@testable import KeelShipping
import Logging
import Testing

/// A spool torn by a crash mid-write: the sink opens anyway, every whole line still waits to be sent, and the damage
/// is counted where the service can see it.
struct ShippingSinkRecoveryTests {
    @Test func aTornSpoolTailIsCutOffCountedAndTheRestStillWaits() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-ship-torn-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = ShippingOptions(spoolDirectory: directory)
        options.spoolsOperationalLines = true
        options.flushTimeout = .milliseconds(50)
        options.retryInitial = .seconds(5)
        // Port 9 (discard) on 127.0.0.1: nothing answers, every line waits.
        let destination = ShippingDestination(url: "http://127.0.0.1:9")
        do {
            let sink = try ShippingSink(destination: destination, options: options, classes: [.ops, .audit])
            for n in 0..<20 {
                Array(#"{"event_id":"torn-\#(n)","message":"waits"}"#.utf8).withUnsafeBytes {
                    sink.write($0, level: .info, storageClass: n % 4 == 0 ? .audit : .ops)
                }
            }
            sink.close()
        }
        // The process died in the middle of writing a record to the operational spool.
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory + "/ops").filter { $0.hasSuffix(".seg") }.sorted()
        let handle = try #require(FileHandle(forWritingAtPath: directory + "/ops/" + segments.last!))
        handle.seekToEndOfFile()
        handle.write(Data([0x40, 0, 0, 0, 1, 2, 3, 4, 0, 0x7B, 0x22, 0x65, 0x76]))  // a header promising 64 bytes, and 4 of them
        try handle.close()

        let reopened = try ShippingSink(destination: destination, options: options, classes: [.ops, .audit])
        #expect(reopened.statistics.spoolDamagedBytes == 13)
        #expect(reopened.pendingLines == 20, "every whole line, ops and audit, still waits")
        reopened.close()
    }
}
