/// A threshold range in the syntax of the Monitoring Plugins Development Guidelines ("Threshold and
/// ranges"), as given to `-w` and `-c`:
///
/// | range      | alerts when the value is      |
/// |------------|-------------------------------|
/// | `10`       | < 0 or > 10                   |
/// | `10:`      | < 10                          |
/// | `~:10`     | > 10                          |
/// | `10:20`    | < 10 or > 20                  |
/// | `@10:20`   | ≥ 10 and ≤ 20 (inside)        |
///
/// Numbers are written in the C locale (`-1.5`, never `-1,5`); start must not exceed end.
public struct ThresholdRange: Sendable, Equatable, CustomStringConvertible {
    /// Lower bound; nil for `~` (negative infinity).
    public let start: Double?
    /// Upper bound; nil when omitted after `:` (positive infinity).
    public let end: Double?
    /// True for `@`: alert inside the range instead of outside.
    public let inside: Bool
    /// The range as given, for performance data and messages.
    public let text: String

    /// Parses `text`; nil when it is not a range of the guidelines' syntax or start exceeds end.
    public init?(_ text: String) {
        var body = Substring(text)
        inside = body.first == "@"
        if inside { body = body.dropFirst() }
        guard !body.isEmpty else { return nil }
        if let colon = body.firstIndex(of: ":") {
            let left = body[..<colon]
            let right = body[body.index(after: colon)...]
            if left == "~" {
                start = nil
            } else {
                guard let value = Self.number(left) else { return nil }
                start = value
            }
            if right.isEmpty {
                end = nil
            } else {
                guard let value = Self.number(right) else { return nil }
                end = value
            }
        } else {
            guard let value = Self.number(body) else { return nil }
            start = 0
            end = value
        }
        if let start, let end, start > end { return nil }
        self.text = text
    }

    /// True when `value` calls for an alert under this range.
    public func alerts(_ value: Double) -> Bool {
        let within = (start.map { value >= $0 } ?? true) && (end.map { value <= $0 } ?? true)
        return inside ? within : !within
    }

    public var description: String { text }

    /// A C-locale decimal: optional `-`, digits, optional `.` and digits; nothing else (no
    /// exponent, no comma, no spaces, no infinity or NaN).
    static func number(_ text: Substring) -> Double? {
        var digits = text
        if digits.first == "-" { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !digits.isEmpty, parts.allSatisfy({ part in part.allSatisfy { $0.isASCII && $0.isNumber } }),
              parts.contains(where: { !$0.isEmpty }) else { return nil }
        return Double(String(text))
    }
}
