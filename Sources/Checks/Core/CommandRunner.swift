import FoundationEssentials
import NIS2
import Model
import Subprocess
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The only way a check starts a program: an absolute path from a fixed allowlist, arguments as an
/// array (no shell, no command strings from profiles), a fixed minimal environment, a timeout and a
/// cap on captured output.
public struct CommandRunner: Sendable {
    /// Programs checks may run, by absolute path. Profiles cannot extend it.
    public static let defaultAllowlist: Set<String> = [
        "/usr/bin/systemctl", "/bin/systemctl",
        "/usr/bin/rpm", "/bin/rpm",
        "/usr/bin/dnf", "/usr/bin/dnf5",
        "/usr/bin/restic", "/usr/bin/borg",
        "/usr/bin/dpkg", "/usr/bin/dpkg-query",
    ]

    public let allowlist: Set<String>

    public init(allowlist: Set<String> = CommandRunner.defaultAllowlist) { self.allowlist = allowlist }

    /// What a finished program gave back.
    public struct Output: Sendable, Equatable {
        /// Exit code, or 128 + signal number when a signal ended it.
        public let exitCode: Int32
        public let standardOutput: String
        public let standardError: String
    }

    /// Runs `program` with `arguments`.
    ///
    /// The deadline measures the program, not the scheduler: it starts once the program is spawned,
    /// and when it passes the program is killed (SIGKILL) and its own end decides the answer. A program
    /// that had already exited by itself gives its output even when the task collecting it was late
    /// to run (a busy machine, or cooperative threads held by blocking work); only a program the kill
    /// ended counts as timed out.
    /// - Parameters:
    ///   - timeout: seconds the program may run after it started; then it is killed.
    ///   - outputLimit: largest captured standard output, in bytes.
    ///   - environment: variables added to the fixed minimal environment for this one run (a
    ///     passphrase a tool reads only from its environment, a private cache folder).
    /// - Throws: `CommandError` when the program is not allowlisted, missing, times out or cannot start.
    public func run(
        _ program: String, _ arguments: [String], timeout: Double = 30, outputLimit: Int = 8 << 20,
        environment: [String: String] = [:]
    ) async throws(CommandError) -> Output {
        guard allowlist.contains(program) else { throw .notAllowed(program) }
        guard FileManager.default.isExecutableFile(atPath: program) else { throw .notInstalled(program) }
        let configuration = Configuration(
            executable: .path(.init(program)), arguments: .init(arguments), environment: Self.environment(adding: environment))
        // Finished once the program is spawned: the deadline counts from there.
        let (spawned, spawnedContinuation) = AsyncStream<Void>.makeStream()
        var deadlinePassed = false
        do {
            return try await withThrowingTaskGroup(of: Outcome.self) { group in
                group.addTask {
                    let result = try await Subprocess.run(
                        configuration, input: .none, output: .bytes(limit: outputLimit), error: .bytes(limit: 1 << 20)
                    ) { _ in spawnedContinuation.finish() }
                    let code: Int32
                    var killed = false
                    switch result.terminationStatus {
                    case .exited(let value): code = value
                    case .signaled(let signal):
                        code = 128 + signal
                        killed = signal == SIGKILL
                    }
                    return .finished(
                        Output(
                            exitCode: code,
                            standardOutput: String(decoding: result.standardOutput, as: UTF8.self),
                            standardError: String(decoding: result.standardError, as: UTF8.self)),
                        killed: killed)
                }
                group.addTask {
                    for await _ in spawned {}
                    try await Task.sleep(for: .seconds(timeout))
                    return .deadline
                }
                defer { group.cancelAll() }
                while let outcome = try await group.next() {
                    switch outcome {
                    case .deadline:
                        // Cancelling the run kills the program (Subprocess's teardown, SIGKILL); the run
                        // then reports how the program really ended.
                        deadlinePassed = true
                        group.cancelAll()
                    case .finished(let output, let killed):
                        if deadlinePassed && killed { throw CommandError.timedOut(program, seconds: timeout) }
                        return output
                    }
                }
                throw CommandError.timedOut(program, seconds: timeout)
            }
        } catch let error as CommandError {
            throw error
        } catch {
            if deadlinePassed { throw .timedOut(program, seconds: timeout) }
            throw .failed(program, String(describing: error))
        }
    }

    /// What one task of `run` gave: the program's end, or the deadline.
    private enum Outcome: Sendable {
        case finished(Output, killed: Bool)
        case deadline
    }
}

extension CommandRunner {
    /// The fixed minimal environment, plus `added` (NUL-terminated `KEY=value` rows).
    static func environment(adding added: [String: String]) -> Subprocess.Environment {
        guard !added.isEmpty else { return .custom(["LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]) }
        let values = ["LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"].merging(added) { _, new in new }
        return .custom(values.sorted { $0.key < $1.key }.map { Array("\($0.key)=\($0.value)".utf8) + [0] })
    }
}

/// Why a program could not give an answer.
public enum CommandError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAllowed(String)
    case notInstalled(String)
    case timedOut(String, seconds: Double)
    case failed(String, String)

    public var description: String {
        switch self {
        case .notAllowed(let program): return "\(program) is not on the agent's allowlist of programs"
        case .notInstalled(let program): return "\(program) is not installed"
        case .timedOut(let program, let seconds): return "\(program) did not finish within \(seconds) s"
        case .failed(let program, let reason): return "\(program) could not run: \(reason)"
        }
    }

    /// The message in both languages; program paths and the system's own error text as they are.
    public var localizedText: LocalizedText {
        switch self {
        case .notAllowed(let program):
            return LocalizedText(fr: "\(program) n'est pas dans la liste des programmes permis à l'agent", en: description)
        case .notInstalled(let program): return LocalizedText(fr: "\(program) n'est pas installé", en: description)
        case .timedOut(let program, let seconds):
            return LocalizedText(fr: "\(program) n'a pas fini en \(seconds) s", en: description)
        case .failed(let program, let reason): return LocalizedText(fr: "\(program) n'a pas pu être lancé : \(reason)", en: description)
        }
    }

    /// The message in `language`.
    public func description(in language: Language) -> String { localizedText.text(in: language) }
}
