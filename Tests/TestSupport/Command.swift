import Foundation

/// Runs an external program for a test (openssl, the built cyberctl, servers) and collects its output.
public enum Command {
    public struct Output: Sendable {
        public let exitCode: Int32
        public let stdout: String
        public let stderr: String
        public let stdoutData: Data
    }

    /// Runs `program` (absolute path, or a name looked up in PATH) to completion.
    @discardableResult
    public static func run(
        _ program: String, _ arguments: [String], input: Data? = nil, environment: [String: String]? = nil,
        currentDirectory: String? = nil
    ) throws -> Output {
        let process = try prepare(program, arguments, environment: environment, currentDirectory: currentDirectory)
        let out = Pipe()
        let err = Pipe()
        let stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try? stdin.fileHandleForWriting.close()
        // Read stderr on another thread so a chatty program cannot fill one pipe and block.
        let errorBox = DataBox()
        let done = DispatchSemaphore(value: 0)
        let errorHandle = err.fileHandleForReading
        Thread.detachNewThread {
            errorBox.data = errorHandle.readDataToEndOfFile()
            done.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        let errData = errorBox.data
        process.waitUntilExit()
        return Output(
            exitCode: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self), stdoutData: outData)
    }

    /// What a bounded run gave: the output, or `timedOut` when the program had to be killed.
    public struct BoundedOutput: Sendable {
        public let output: Output
        /// True when the program was still running at the deadline and was killed (SIGKILL).
        public let timedOut: Bool
    }

    /// Runs `program` like `run`, but kills it (SIGKILL, then its output is collected) when it has not
    /// ended within `seconds`: a test of something that used to hang ends either way, and says which.
    /// The bound is a safety net, never what a test measures.
    public static func run(
        _ program: String, _ arguments: [String], timeout seconds: Double, environment: [String: String]? = nil,
        currentDirectory: String? = nil
    ) throws -> BoundedOutput {
        let process = try prepare(program, arguments, environment: environment, currentDirectory: currentDirectory)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        try process.run()
        let outBox = DataBox()
        let errorBox = DataBox()
        let reads = DispatchGroup()
        for (handle, box) in [(out.fileHandleForReading, outBox), (err.fileHandleForReading, errorBox)] {
            reads.enter()
            Thread.detachNewThread {
                box.data = handle.readDataToEndOfFile()
                reads.leave()
            }
        }
        let timedOut = ended.wait(timeout: .now() + seconds) == .timedOut
        if timedOut {
            kill(process.processIdentifier, SIGKILL)
            ended.wait()
        }
        // A child the program left behind could keep the pipes open: the output read so far is enough then.
        _ = reads.wait(timeout: .now() + 5)
        return BoundedOutput(
            output: Output(
                exitCode: process.terminationStatus, stdout: String(decoding: outBox.data, as: UTF8.self),
                stderr: String(decoding: errorBox.data, as: UTF8.self), stdoutData: outBox.data),
            timedOut: timedOut)
    }

    /// A process for `program` (absolute, or looked up in PATH), not started.
    static func prepare(_ program: String, _ arguments: [String], environment: [String: String]?, currentDirectory: String?) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : try which(program))
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        return process
    }

    /// Absolute path of `name` in PATH (plus the sbin folders).
    public static func which(_ name: String) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestSupportError("\(name) not found in PATH")
    }

    /// True when `name` is installed.
    public static func exists(_ name: String) -> Bool { (try? which(name)) != nil }
}

private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = Data()
    var data: Data {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
