import Agent
import Foundation
import Model

/// Headless Chromium is missing or failed.
public struct PDFPrinterError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// sysexits: 69 (EX_UNAVAILABLE) when Chromium is not installed, 70 when it failed.
    public let exitCode: Int32
    public var description: String { message }
}

/// Prints an HTML page to PDF with headless Chromium (`chromium --headless --print-to-pdf`): A4
/// comes from the page's own `@page` rule, headers and footers are turned off.
public struct PDFPrinter: Sendable {
    /// The Chromium executable.
    public let executable: String
    /// How long Chromium may take before it is stopped: 120 s.
    public static let timeout: TimeInterval = 120

    /// Names tried on `PATH`, in order.
    public static let candidates = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

    /// Finds Chromium on `PATH`.
    /// - Throws: `PDFPrinterError` (69) naming the package to install when none is found.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PDFPrinterError) {
        let folders = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in Self.candidates {
            for folder in folders where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
                executable = folder + "/" + name
                return
            }
        }
        throw PDFPrinterError(
            message: "PDF output needs headless Chromium, which is not installed: install the Debian/Ubuntu package `chromium` "
                + "(apt-get install chromium), or use --format html and print the page from a browser",
            exitCode: 69)
    }

    /// Writes `html` as a PDF at `output`.
    public func print(html: String, to output: String) throws(PDFPrinterError) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cyberctl-summary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let page = folder.appendingPathComponent("summary.html")
            try Data(html.utf8).write(to: page)
            let target = folder.appendingPathComponent("summary.pdf")
            var arguments = [
                "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--user-data-dir=\(folder.appendingPathComponent("profile").path)", "--no-pdf-header-footer",
                "--print-to-pdf=\(target.path)", page.absoluteString,
            ]
            // Chromium refuses to run as root with its sandbox on.
            if geteuid() == 0 { arguments.insert("--no-sandbox", at: 1) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            // Chromium can be chatty: its stderr goes to a file, never a pipe nobody drains.
            let errorsPath = folder.appendingPathComponent("stderr.txt")
            FileManager.default.createFile(atPath: errorsPath.path, contents: nil)
            let errors = try FileHandle(forWritingTo: errorsPath)
            defer { try? errors.close() }
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(Self.timeout)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
                throw PDFPrinterError(message: "\(executable) did not finish within \(Int(Self.timeout)) s", exitCode: 70)
            }
            let stderr = (try? String(contentsOf: errorsPath, encoding: .utf8)) ?? ""
            guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: target.path) else {
                let tail = stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
                throw PDFPrinterError(message: "\(executable) could not print the PDF (exit \(process.terminationStatus)): \(tail)", exitCode: 70)
            }
            let bytes = try Data(contentsOf: target)
            try AtomicFile.write(Array(bytes), to: output, mode: 0o640)
        } catch let error as PDFPrinterError {
            throw error
        } catch {
            throw PDFPrinterError(message: "cannot print the PDF to \(output): \(error.localizedDescription)", exitCode: 74)
        }
    }
}
