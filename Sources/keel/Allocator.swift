import CJemalloc

/// The allocator the process runs on. `keel` links jemalloc, which takes over `malloc` for the whole process: ingest
/// makes and frees a few small buffers per event, and glibc's allocator spent about a tenth of `keel serve`'s CPU on
/// them (docs/benchmarks.md). Asking for its version is how the startup line shows it is the one in use — and what
/// keeps the linker from dropping a library the executable would otherwise never name.
enum Allocator {
    /// `jemalloc 5.3.0-…`, or `libc` when jemalloc is not the allocator.
    static var name: String {
        var version: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "libc" }
        return "jemalloc " + String(cString: version)
    }
}
