import CSnappy
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

/// Snappy's block format, by the system's libsnappy: what Loki's push bodies are compressed with.
package enum Snappy {
    package static func block(_ input: [UInt8]) -> [UInt8] {
        var length = snappy_max_compressed_length(input.count)
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            let status = input.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { source in
                    buffer.withMemoryRebound(to: CChar.self) { snappy_compress(source.baseAddress, source.count, $0.baseAddress, &length) }
                }
            }
            // Compressing fails only for an output buffer too small, and snappy_max_compressed_length is its bound.
            precondition(status == SNAPPY_OK, "snappy could not compress into its own bound")
            count = length
        }
    }
}
