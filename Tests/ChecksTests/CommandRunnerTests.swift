import Checks
import Foundation
import Testing
import TestSupport

/// `CommandRunner` runs real programs (/bin/sh) and decides "timed out" from how the program ended, never from
/// which of its tasks the scheduler happened to run first.
@Suite struct CommandRunnerTests {
    /// A task executor with one thread of its own that the test can hold: jobs enqueued while it is paused wait,
    /// as they do on a busy machine when every cooperative thread is taken by blocking work.
    final class PausableExecutor: TaskExecutor, @unchecked Sendable {
        private let condition = NSCondition()
        private var jobs: [UnownedJob] = []
        private var paused = false
        private var stopped = false

        init() {
            Thread.detachNewThread { [self] in loop() }
        }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            condition.lock()
            jobs.append(job)
            condition.signal()
            condition.unlock()
        }

        func pause(_ value: Bool) {
            condition.lock()
            paused = value
            condition.signal()
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.signal()
            condition.unlock()
        }

        private func loop() {
            while true {
                condition.lock()
                while !stopped && (paused || jobs.isEmpty) { condition.wait() }
                if stopped && jobs.isEmpty {
                    condition.unlock()
                    return
                }
                let job = jobs.removeFirst()
                condition.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
    }

    let runner = CommandRunner(allowlist: ["/bin/sh"])

    @Test("a program that ended by itself gives its output even when its tasks run after the deadline")
    func lateSchedulingIsNotATimeout() async throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-runner")
        let marker = folder.url("ended")
        let executor = PausableExecutor()
        defer { executor.stop() }
        let runner = self.runner
        let run = Task {
            await withTaskExecutorPreference(executor) { () async -> Result<CommandRunner.Output, CommandError> in
                do {
                    return .success(try await runner.run("/bin/sh", ["-c", "echo registre; echo note >&2; : > '\(marker)'"], timeout: 1))
                } catch let error as CommandError {
                    return .failure(error)
                } catch {
                    return .failure(.failed("/bin/sh", "\(error)"))
                }
            }
        }
        // Once the program has written its marker, hold every job of the run, until well after the 1 s deadline
        // and after the program's exit: then the deadline and the program's end are both waiting to be handled.
        while !FileManager.default.fileExists(atPath: marker) { try await Task.sleep(for: .milliseconds(5)) }
        executor.pause(true)
        try await OffPool.run { Thread.sleep(forTimeInterval: 2.5) }
        executor.pause(false)
        let output = try await run.value.get()
        #expect(output.exitCode == 0)
        #expect(output.standardOutput == "registre\n")
        #expect(output.standardError == "note\n")
    }

    @Test("a program still running at the deadline is killed and reported as timed out")
    func runningProgramIsKilled() async throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-runner")
        let pidFile = folder.url("pid")
        let error = await #expect(throws: CommandError.self) {
            try await runner.run("/bin/sh", ["-c", "echo $$ > '\(pidFile)'; exec sleep 600"], timeout: 0.5)
        }
        #expect(error == .timedOut("/bin/sh", seconds: 0.5))
        // The program was killed (and reaped): its process is gone.
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) == -1 && errno == ESRCH)
    }

    @Test("exit code, a signal's 128 + n, and the allowlist")
    func exitCodesAndAllowlist() async throws {
        let failed = try await runner.run("/bin/sh", ["-c", "echo non >&2; exit 3"])
        #expect(failed.exitCode == 3)
        #expect(failed.standardError == "non\n")
        let signaled = try await runner.run("/bin/sh", ["-c", "kill -TERM $$"])
        #expect(signaled.exitCode == 128 + 15)
        await #expect(throws: CommandError.notAllowed("/bin/ls")) { try await runner.run("/bin/ls", []) }
    }
}
