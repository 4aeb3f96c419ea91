/// Whole numbers written with thousands separators, as people read them, in place of Foundation's
/// locale number formatting (`formatted(.number.locale(…))`, which needs ICU's data).
public enum Grouping {
    /// `value` with its digits in groups of three: French puts U+202F NARROW NO-BREAK SPACE between
    /// groups ("12 345", CLDR fr), English a comma ("12,345", CLDR en-GB). A minus sign leads.
    public static func digits(_ value: some BinaryInteger, french: Bool) -> String {
        let separator: Character = french ? "\u{202F}" : ","
        let digits = Array(String(value.magnitude))
        var out = value < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(separator) }
            out.append(digit)
        }
        return out
    }
}
