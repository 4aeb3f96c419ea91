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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : try which(program))
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
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
    var data = Data()
}
