import Agent
import Logging
import Model

/// The collector's log handler: another handler (stderr, journald through it), with every message and
/// metadata value made one safe line (`TerminalText.line`).
///
/// What the collector logs comes partly from its clients: the User-Agent header (HTTP allows any byte
/// above 0x7F in it, so U+009B, the 8-bit CSI, gets through), names from agent certificates, reasons
/// quoting a report's host. A line in the log, read with `journalctl` or `tail` on the RSSI's terminal,
/// must neither repaint that terminal nor forge a log line of its own.
public struct SanitizingLogHandler: LogHandler {
    public var inner: any LogHandler

    public init(_ inner: any LogHandler) { self.inner = inner }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt
    ) {
        inner.log(
            level: level, message: "\(TerminalText.line(message.description))", metadata: metadata?.mapValues(Self.sanitize),
            source: source, file: file, function: function, line: line)
    }

    static func sanitize(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): return .string(TerminalText.line(text))
        case .stringConvertible(let convertible): return .string(TerminalText.line(convertible.description))
        case .array(let values): return .array(values.map(sanitize))
        case .dictionary(let values): return .dictionary(values.mapValues(sanitize))
        }
    }
}
