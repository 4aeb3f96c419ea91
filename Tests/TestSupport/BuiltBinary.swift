import Foundation

/// The `cyberctl` executable built by `swift build` for this package, for end-to-end tests; `agentPath` is
/// the agent's own executable, `cyberctl-agent`, built beside it.
public enum BuiltBinary {
    /// Path of the built `cyberctl-agent`: `$CYBERCTL_AGENT_BINARY`, else next to `cyberctl`.
    public static var agentPath: String {
        get throws {
            if let explicit = ProcessInfo.processInfo.environment["CYBERCTL_AGENT_BINARY"] { return explicit }
            let candidate = URL(fileURLWithPath: try path).deletingLastPathComponent().appendingPathComponent("cyberctl-agent").path
            guard FileManager.default.isExecutableFile(atPath: candidate) else {
                throw TestSupportError("built cyberctl-agent not found at \(candidate); run `swift build` first")
            }
            return candidate
        }
    }

    /// Runs the built `cyberctl-agent`.
    @discardableResult
    public static func runAgent(_ arguments: [String], currentDirectory: String? = nil, environment: [String: String]? = nil) throws -> Command.Output {
        try Command.run(try agentPath, arguments, environment: environment, currentDirectory: currentDirectory)
    }

    /// Path of the built `cyberctl` (next to the test bundle in `.build/<config>/`).
    public static var path: String {
        get throws {
            if let explicit = ProcessInfo.processInfo.environment["CYBERCTL_BINARY"] { return explicit }
            // The test bundle lives in the same build folder as the executable.
            let bundle = Bundle.main.bundleURL
            var folder = bundle
            for _ in 0..<4 {
                let candidate = folder.appendingPathComponent("cyberctl").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                folder.deleteLastPathComponent()
            }
            throw TestSupportError("built cyberctl not found near \(bundle.path); run `swift build` first")
        }
    }

    /// The package checkout (where Package.swift is), found from this file's location.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }()

    /// Runs the built binary, killed after `timeout` seconds if it has not ended (see `Command.run(_:_:timeout:)`).
    public static func run(
        _ arguments: [String], timeout: Double, currentDirectory: String? = nil, environment: [String: String]? = nil
    ) throws -> Command.BoundedOutput {
        try Command.run(try path, arguments, timeout: timeout, environment: environment, currentDirectory: currentDirectory)
    }

    /// Runs the built binary.
    @discardableResult
    public static func run(_ arguments: [String], currentDirectory: String? = nil, environment: [String: String]? = nil) throws -> Command.Output {
        try Command.run(try path, arguments, environment: environment, currentDirectory: currentDirectory)
    }
}
