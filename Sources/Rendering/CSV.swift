import Checks
import Foundation
import Model

/// The two CSV dialects of the views (`--format csv --csv-dialect rfc4180|excel-fr`).
///
/// `rfc4180` is for programs: values exact, as the JSON has them. `excel-fr` is for a person who opens the
/// file in a French Excel or LibreOffice Calc: each cell gets the type it should have there, and nothing a
/// signed but untrusted report says can become a formula.
public enum CSVDialect: String, CaseIterable, Sendable {
    /// RFC 4180: `,` between fields, CRLF after every record (the last included), a field quoted with `"`
    /// (inner `"` doubled) when it holds `,`, `;`, `"`, CR or LF; no BOM. Integers in decimal, decimals with a
    /// point, instants in ISO 8601 UTC (`2026-11-29T08:00:00Z`), text exactly as stored: a text starting with
    /// `=`, `+`, `-` or `@` is NOT altered, so this dialect must not be opened in a spreadsheet (use `excelFR`).
    case rfc4180
    /// French Excel and LibreOffice Calc (fr-FR): a UTF-8 byte order mark (how Excel knows the file is
    /// UTF-8), `;` between fields (the list separator of the French locale), CRLF, `"` quoting of fields
    /// holding `;`, `"`, CR or LF. Numbers in French form (`95,5`: decimal comma, no digit grouping), read as
    /// numbers; instants as their day in Europe/Paris, `AAAA-MM-JJ` (ISO 8601), the one date form both read
    /// as a date whatever their "detect special numbers" setting. Text cells are neutralised (`excelText`).
    case excelFR = "excel-fr"
}

/// One cell of an exported table, typed so that each dialect writes it in the form its reader expects.
public enum CSVCell: Sendable, Equatable {
    case text(String)
    case integer(Int)
    /// A decimal number written with `places` digits after the separator.
    case decimal(Double, places: Int)
    /// An instant: rfc4180 writes it in ISO 8601 UTC; excel-fr its day in Europe/Paris (a date cell).
    case date(Date)
    case empty

    /// `.date` from an ISO 8601 UTC string of a view (`YYYY-MM-DDTHH:MM:SSZ`), `.text` when it is not one,
    /// `.empty` for nil.
    public static func time(_ iso: String?) -> CSVCell {
        guard let iso else { return .empty }
        return ISO8601Day.date(from: iso).map(CSVCell.date) ?? .text(iso)
    }

    /// `.integer`, or `.empty` for nil.
    public static func integer(_ value: Int?) -> CSVCell { value.map(CSVCell.integer) ?? .empty }

    /// The text of `value`, or `.empty` for nil or an empty string.
    public static func text(_ value: String?) -> CSVCell { value.map { $0.isEmpty ? .empty : .text($0) } ?? .empty }
}

/// A table exported as CSV: a header line, then one record per row, every record as wide as the header.
public struct CSVTable: Sendable {
    public var headers: [String]
    public var rows: [[CSVCell]]
    /// A line written before the header, alone in its record: what the table is narrowed to (a filter), so
    /// that a filtered table, even an empty one, never reads as the whole territory's. Nil: no such line.
    public var note: String?

    public init(headers: [String], rows: [[CSVCell]], note: String? = nil) {
        self.headers = headers
        self.rows = rows
        self.note = note
    }

    /// The table in `dialect` (see `CSVDialect`).
    public func csv(_ dialect: CSVDialect) -> String {
        let separator = dialect == .excelFR ? ";" : ","
        var records: [[String]] = []
        if let note { records.append([CSVCellWriter.text(note, dialect)]) }
        records.append(headers.map { CSVCellWriter.text($0, dialect) })
        for row in rows {
            var fields = row.map { CSVCellWriter.field($0, dialect) }
            if fields.count < headers.count { fields += Array(repeating: "", count: headers.count - fields.count) }
            records.append(fields)
        }
        let body = records.map { $0.map { CSVCellWriter.quoted($0, dialect) }.joined(separator: separator) }
            .joined(separator: "\r\n") + "\r\n"
        return dialect == .excelFR ? "\u{FEFF}" + body : body
    }
}

/// How one cell is written in each dialect.
public enum CSVCellWriter {
    /// The cell's field, before quoting.
    public static func field(_ cell: CSVCell, _ dialect: CSVDialect) -> String {
        switch cell {
        case .empty: return ""
        case .text(let value): return text(value, dialect)
        case .integer(let value): return String(value)
        case .decimal(let value, let places):
            guard value.isFinite else { return "" }
            let text = String(format: "%.\(max(0, places))f", value)
            return dialect == .excelFR ? text.replacingOccurrences(of: ".", with: ",") : text
        case .date(let date):
            return dialect == .excelFR ? ISO8601Day.parisDay(date) : ISO8601Day.instant(date)
        }
    }

    /// A text cell: exact in rfc4180, `excelText` in excel-fr.
    public static func text(_ value: String, _ dialect: CSVDialect) -> String {
        dialect == .excelFR ? excelText(value) : value
    }

    /// The characters that make a spreadsheet read a cell as a formula when they start it (OWASP, "CSV
    /// Injection"): `=`, `+`, `-`, `@`, and the tab and carriage return that may hide one.
    static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r", "\r\n"]

    /// A text cell for a French spreadsheet, shown there as the same text:
    /// - starting (after any spaces) with a formula character (`formulaStarts`): prefixed with `'`, as OWASP
    ///   advises; the spreadsheet shows the `'` and never evaluates the text (`=HYPERLINK(…)` in a host name
    ///   from a hostile report stays text);
    /// - else, one the spreadsheet would read as something other than text — any text holding a digit (a
    ///   SIREN `001290006` would lose its zero, `3/4` or `12/40` or `mars 3` turn into dates, `1,5` into a
    ///   number, `95 %` into a percentage) or a boolean word (`VRAI`, `FAUX`, `TRUE`, `FALSE`) — written as the
    ///   formula `="…"` (inner `"` doubled), whose value is that exact text, in Excel and LibreOffice alike;
    ///   not for a text over 255 characters (Excel's limit on a formula's string) or holding a line break:
    ///   neither is ever read as a number or a date;
    /// - else unchanged.
    public static func excelText(_ value: String) -> String {
        if let first = value.first(where: { $0 != " " }), formulaStarts.contains(first) { return "'" + value }
        let digit = value.unicodeScalars.contains { ("0"..."9").contains($0) }
        let boolean = ["vrai", "faux", "true", "false"].contains(value.trimmingCharacters(in: .whitespaces).lowercased())
        guard digit || boolean, value.utf16.count <= 255, !value.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return value
        }
        return "=\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `field` quoted (inner `"` doubled, RFC 4180 section 2) when it holds `"`, CR, LF or `;`, and in rfc4180 `,`
    /// too. A decimal comma is never quoted in excel-fr: a spreadsheet set to read quoted fields as text would
    /// read `"95,5"` as text.
    static func quoted(_ field: String, _ dialect: CSVDialect) -> String {
        let special = field.unicodeScalars.contains {
            $0 == ";" || $0 == "\"" || $0 == "\r" || $0 == "\n" || ($0 == "," && dialect == .rfc4180)
        }
        guard special else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Instants as the CSV dialects write them.
enum ISO8601Day {
    /// Europe/Paris, the legal time of metropolitan France: the day people read.
    static let paris = TimeZone(identifier: "Europe/Paris") ?? TimeZone(secondsFromGMT: 0)!

    /// `YYYY-MM-DDTHH:MM:SSZ` (UTC), as the views' JSON has it.
    static func instant(_ date: Date) -> String { ISO8601.string(from: date) }

    /// `YYYY-MM-DD`, the day of `date` in Europe/Paris.
    static func parisDay(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withDashSeparatorInDate]
        formatter.timeZone = paris
        return formatter.string(from: date)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ`; nil for anything else.
    static func date(from iso: String) -> Date? { ISO8601.date(from: iso) }
}
