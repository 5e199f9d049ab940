import Foundation

/// The supervised worker's own code (`keel-example worker`): announces it is ready, prints a JSON line now and
/// then, and crashes once in a while — so that the supervisor has something to restart.
public enum ExampleWorker {
    public static func run(crashAfter: Duration = .seconds(Int64.random(in: 5...20))) async {
        say(#"{"event":"worker.ready","message":"worker ready"}"#)
        let clock = ContinuousClock()
        let deadline = clock.now + crashAfter
        var jobs = 0
        while clock.now < deadline {
            try? await Task.sleep(for: .seconds(1))
            jobs += 1
            say(#"{"message":"job done","jobs":\#(jobs),"duration_ms":\#(Double.random(in: 1...50))}"#)
        }
        FileHandle.standardError.write(Data("worker: simulated crash\n".utf8))
        exit(3)
    }

    /// One line on stdout, unbuffered (stdout is a pipe to the supervisor).
    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
