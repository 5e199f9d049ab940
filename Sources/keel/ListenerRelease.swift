#if canImport(Glibc)
import Glibc

/// Closes the listening sockets the moment the process crashes, before Swift's backtracer (or a core dump) keeps the
/// process alive: with the backtracer on, a crashed `keel serve` held its port for tens of seconds, and a supervisor
/// that restarted it at once met "address in use".
///
/// A handler for the crash signals runs first, closes every descriptor that is a listening socket (plain syscalls:
/// `getsockopt`, `close`), puts the previous handler back and passes the signal on — to the runtime's backtracer when
/// it is on, else to the default action — so the crash is reported exactly as before.
enum ListenerRelease {
    static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]

    /// The handlers that were installed before, by signal number (filled before any crash handler is installed).
    nonisolated(unsafe) static var previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)

    static func install() {
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { signal, info, context in
                ListenerRelease.closeListeningSockets()
                // The previous handler back, then the signal again: the runtime's backtracer or the default action.
                sigaction(signal, ListenerRelease.previous + Int(signal), nil)
                let old = ListenerRelease.previous[Int(signal)]
                if old.sa_flags & SA_SIGINFO != 0, let handler = old.__sigaction_handler.sa_sigaction {
                    handler(signal, info, context)
                } else {
                    raise(signal)
                }
            }
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, previous + Int(signal))
        }
    }

    static func closeListeningSockets() {
        var limit = rlimit()
        let highest = getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 ? min(Int32(clamping: limit.rlim_cur), 65_536) : 4096
        for descriptor in 3..<highest {
            var accepting: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0, accepting != 0 {
                close(descriptor)
            }
        }
    }
}
#else
/// Elsewhere the crash signals are left to the runtime.
enum ListenerRelease {
    static func install() {}
}
#endif
