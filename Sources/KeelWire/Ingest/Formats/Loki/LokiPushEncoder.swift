import Foundation
import SwiftProtobuf

/// Loki's push body as a shipper sends it (`POST /loki/api/v1/push`, `Content-Type: application/x-protobuf`): a
/// `logproto.PushRequest` of streams, each its label set and its entries in order, compressed in snappy's block
/// format. The counterpart of ``LokiPushFormat``, which reads it.
package enum LokiPushEncoder {
    package struct Stream: Sendable {
        /// `{level="INFO", service="api"}`
        package var labels: String
        /// Each line with its time and its structured metadata (Loki 3's name–value pairs beside the line).
        package var entries: [(nanoseconds: Int64, line: String, metadata: [(String, String)])]

        package init(labels: String, entries: [(nanoseconds: Int64, line: String, metadata: [(String, String)])] = []) {
            self.labels = labels
            self.entries = entries
        }
    }

    /// The snappy-compressed protobuf body of `streams`.
    package static func body(_ streams: [Stream]) throws -> [UInt8] {
        var request = Logproto_PushRequest()
        request.streams = streams.map { stream in
            var adapter = Logproto_StreamAdapter()
            adapter.labels = stream.labels
            adapter.entries = stream.entries.map { entry in
                var out = Logproto_EntryAdapter()
                var time = Google_Protobuf_Timestamp()
                time.seconds = entry.nanoseconds / 1_000_000_000
                time.nanos = Int32(entry.nanoseconds % 1_000_000_000)
                if time.nanos < 0 {
                    time.seconds -= 1
                    time.nanos += 1_000_000_000
                }
                out.timestamp = time
                out.line = entry.line
                out.structuredMetadata = entry.metadata.map { name, value in
                    var pair = Logproto_LabelPairAdapter()
                    pair.name = name
                    pair.value = value
                    return pair
                }
                return out
            }
            return adapter
        }
        let bytes: [UInt8] = try request.serializedBytes()
        return Snappy.block(bytes)
    }

    /// A label set as Loki writes it, names sorted, values quoted and escaped.
    package static func labels(_ pairs: [(String, String)]) -> String {
        "{" + pairs.sorted { $0.0 < $1.0 }.map { name, value in
            var quoted = ""
            for character in value.unicodeScalars {
                switch character {
                case "\\": quoted += "\\\\"
                case "\"": quoted += "\\\""
                case "\n": quoted += "\\n"
                default: quoted.unicodeScalars.append(character)
                }
            }
            return "\(name)=\"\(quoted)\""
        }.joined(separator: ", ") + "}"
    }
}

/// Snappy's block format, written: the length, then the bytes as literals of up to 64 KiB each. Valid snappy that any
/// decoder reads (Loki's, and ``Decompression``'s), without compressing: linking the system's libsnappy through a
/// system-library target, as zlib and zstd are, is what would make the bodies smaller.
package enum Snappy {
    package static func block(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count + input.count / 65_536 * 3 + 8)
        var length = UInt64(input.count)
        repeat {
            let byte = UInt8(length & 0x7F)
            length >>= 7
            out.append(length == 0 ? byte : byte | 0x80)
        } while length > 0
        var start = 0
        while start < input.count {
            let count = min(65_536, input.count - start)
            let stored = count - 1
            if stored < 60 {
                out.append(UInt8(stored << 2))
            } else if stored < 256 {
                out += [60 << 2, UInt8(stored)]
            } else {
                out += [61 << 2, UInt8(stored & 0xFF), UInt8(stored >> 8)]
            }
            out += input[start..<(start + count)]
            start += count
        }
        return out
    }
}
