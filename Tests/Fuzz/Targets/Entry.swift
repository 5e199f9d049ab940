import Foundation

/// The target the environment names (`KEEL_FUZZ_TARGET`), read once.
let selected: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["KEEL_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("keel-fuzz: set KEEL_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    return target
}()

/// libFuzzer's entry: one input through the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    selected.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

#if !KEEL_LIBFUZZER
/// Without libFuzzer (a plain build): `keel-fuzz TARGET FILE|DIR…` replays inputs through a target, so the seed
/// corpus and every input a fuzzer once found run in the ordinary test suite too.
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: keel-fuzz TARGET FILE|DIR…  (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            exit(2)
        }
        verbose = ProcessInfo.processInfo.environment["KEEL_FUZZ_VERBOSE"] == "1"
        var count = 0
        for path in arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                print("keel-fuzz: no such file: \(path)")
                exit(2)
            }
            let files =
                isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { "\(path)/\($0)" } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                data.withUnsafeBytes { target.run($0) }
                count += 1
            }
        }
        print("keel-fuzz \(name): \(count) inputs replayed, no property broken")
    }
}
#endif
