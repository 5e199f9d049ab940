import Foundation
@testable import KeelBlockStore
import Testing

/// The head's log on disk: what was appended is there after a reopen, and what a crash cut short is cut off.
struct HeadLogTests {
    @Test(arguments: [HeadLog.Durability.normal, .full])
    func appendsSurviveAReopenAndATornTailIsCutOff(durability: HeadLog.Durability) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-head-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let records = HeadLogRecordsTests.records
        do {
            let log = try HeadLog(path: path, durability: durability)
            #expect(log.recovered.isEmpty)
            try log.append(Array(records.prefix(12)))
        }
        // A crash in the middle of a write: half of a record's bytes at the end.
        var torn: [UInt8] = []
        HeadLogRecords.append([records[12]], to: &torn)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(torn.prefix(torn.count / 2)))
        try handle.close()
        do {
            let log = try HeadLog(path: path, durability: durability)
            #expect(log.recovered == Array(records.prefix(12)))
            #expect(log.discardedBytes == torn.count / 2)
            try log.append(Array(records.dropFirst(12)))
        }
        let reopened = try HeadLog(path: path, durability: durability)
        #expect(reopened.recovered == records, "appends go on after the last whole record")
        #expect(reopened.discardedBytes == 0)
        try reopened.reset()
        #expect(try HeadLog(path: path, durability: durability).recovered.isEmpty)
    }

    @Test func aLogThatCannotBeWrittenSaysWhy() throws {
        // Opened only to be read, a log creates no file; its first write says why it cannot.
        let log = try HeadLog(path: "/nonexistent-directory/head.log", durability: .normal)
        #expect(log.recovered.isEmpty)
        let failure = try #require(throws: FileFailure.self) { try log.append([HeadLogRecords.Record(seq: 1, timestamp: 0, line: "{}")]) }
        #expect(failure.code == ENOENT)
        #expect("\(failure)".contains("/nonexistent-directory/head.log"))
    }

    @Test func aDayThatIsOnlyReadGetsNoLogFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-headlog-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try HeadLog(path: path, durability: .normal)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
