/// One performance data item, `'label'=value[UOM];[warn];[crit];[min];[max]` (Monitoring Plugins
/// Development Guidelines, "Performance data"): graphed by Centreon, PNP4Nagios, Icinga's metric writers.
public struct PerformanceDatum: Sendable, Equatable {
    /// The label, quoted on output; `'`, `=`, `|` and control characters are replaced by `_` (the
    /// guidelines forbid `'` and `=`; `|` would end the plugin text).
    public let label: String
    /// The value: whole numbers only here (days, counts, seconds, scores), so the C locale holds by
    /// construction.
    public let value: Int
    /// Unit of measurement: empty (a plain number), `s` (seconds), `%`, `B`, `c` (counter).
    public let unit: String
    public let warning: ThresholdRange?
    public let critical: ThresholdRange?
    public let minimum: Int?
    public let maximum: Int?

    public init(
        label: String, value: Int, unit: String = "", warning: ThresholdRange? = nil, critical: ThresholdRange? = nil,
        minimum: Int? = nil, maximum: Int? = nil
    ) {
        self.label = Self.cleanLabel(label)
        self.value = value
        self.unit = unit
        self.warning = warning
        self.critical = critical
        self.minimum = minimum
        self.maximum = maximum
    }

    /// `'label'=value[UOM];warn;crit;min;max`, trailing empty fields left out.
    public var text: String {
        var fields = [warning?.text ?? "", critical?.text ?? "", minimum.map(String.init) ?? "", maximum.map(String.init) ?? ""]
        while fields.last == "" { fields.removeLast() }
        let head = "'\(label)'=\(value)\(unit)"
        return fields.isEmpty ? head : head + ";" + fields.joined(separator: ";")
    }

    static func cleanLabel(_ label: String) -> String {
        String(String.UnicodeScalarView(label.unicodeScalars.map { scalar in
            scalar == "'" || scalar == "=" || scalar == "|" || scalar.properties.generalCategory == .control ? "_" : scalar
        }))
    }
}
