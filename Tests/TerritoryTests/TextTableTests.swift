import Foundation
import Model
import Rendering
import Testing

/// `TextTable.text` writes bytes into one buffer with widths counted in bytes for ASCII cells (issue 20: the status
/// table of 20,000 rows). Checked here against the plain definition of the table, on random tables whose cells mix
/// ASCII, accented letters, box-drawing characters, emoji sequences, control and bidirectional characters, CR LF, cells
/// longer than the padded width, and rows shorter than the headers.
@Suite("Text tables")
struct TextTableTests {
    /// The table as its docstring defines it: each cell escaped to one line (`TerminalText.line`), every cell but a row's
    /// last padded with spaces to its column's widest cell counted in characters, at most `maximumPaddedWidth`; two
    /// spaces between cells; a rule of `─` under the headers; the title first when there is one.
    static func reference(_ table: TextTable) -> String {
        let headers = table.headers.map(TerminalText.line)
        let rows = table.rows.map { $0.map(TerminalText.line) }
        var widths = headers.map { min($0.count, TextTable.maximumPaddedWidth) }
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], min(cell.count, TextTable.maximumPaddedWidth))
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 || index >= widths.count
                    ? cell : cell + String(repeating: " ", count: max(0, widths[index] - cell.count))
            }.joined(separator: "  ") + "\n"
        }
        return (table.title.map { TerminalText.line($0) + "\n" } ?? "") + line(headers)
            + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n"
            + rows.map(line).joined()
    }

    static let pieces = [
        "a", "Plouzané", "SIREN", "─", "é", "👩‍💻", "🇫🇷", "\u{1B}[31m", "\n", "\r\n", "\t", "\u{202E}", "\u{200F}", "·", "⚠", "12 j", " ", "x|y",
        "e\u{301}", "\u{85}", "漢字",
    ]

    static func cell(_ random: inout some RandomNumberGenerator) -> String {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return ""
        case 1: return String(repeating: "ab", count: Int.random(in: 55...100, using: &random))
        case 2: return String(repeating: "é", count: Int.random(in: 110...140, using: &random))
        default: return (0..<Int.random(in: 1...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
    }

    @Test("Random tables: the same text as the plain definition")
    func matchesDefinition() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let columns = Int.random(in: 1...6, using: &random)
            let headers = (0..<columns).map { _ in Self.cell(&random) }
            let rows = (0..<Int.random(in: 0...12, using: &random)).map { _ in
                (0..<Int.random(in: 0...columns, using: &random)).map { _ in Self.cell(&random) }
            }
            let table = TextTable(title: Bool.random(using: &random) ? Self.cell(&random) : nil, headers: headers, rows: rows)
            let text = table.text
            #expect(text == Self.reference(table), "\(headers) \(rows)")
            // One line per row, whatever the cells held.
            #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == rows.count + 3 + (table.title == nil ? 0 : 1))
        }
    }

    @Test("A status-like table: columns aligned, the long cell shown whole and not padded to")
    func aligned() {
        let long = String(repeating: "x", count: 150)
        let table = TextTable(headers: ["Entité", "Âge", "Plafonds"], rows: [["Plouzané", "1 j ⚠ 2 serveurs silencieux", long], ["B", "12 j", "·"]])
        let lines = table.text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "Entité    Âge                          Plafonds")
        #expect(lines[1] == String(repeating: "─", count: 8) + "  " + String(repeating: "─", count: 27) + "  " + String(repeating: "─", count: 120))
        #expect(lines[2] == "Plouzané  1 j ⚠ 2 serveurs silencieux  " + long)
        #expect(lines[3] == "B         12 j                         ·")
    }
}
