import Checks
import Foundation
import Model

/// The colours the HTML renderers (dashboard, élus page) put text on: one fill per level, each with a
/// text colour whose contrast ratio is at least 4.5:1 (WCAG 2.x AA for normal text, success criterion
/// 1.4.3). The tests compute the ratio of every pair listed here and of every pair found in rendered pages.
public enum Palette {
    /// A fill and the text colour drawn on it, `#rrggbb`.
    public struct Pair: Sendable, Equatable, Hashable {
        public let fill: String
        public let text: String
    }

    static let white = "#ffffff"
    static let ink = "#1b1f24"

    /// Level fills, darkened from the usual green-to-red scale until white text reaches 4.5:1.
    public static func level(_ level: String?) -> Pair {
        switch level {
        case "A": Pair(fill: "#1a7f37", text: white)
        case "B": Pair(fill: "#3f7a16", text: white)
        case "C": Pair(fill: "#8a5a00", text: white)
        case "D": Pair(fill: "#b3470a", text: white)
        case "E": Pair(fill: "#b42318", text: white)
        default: notEvaluated
        }
    }

    /// The fill of a score: its level's.
    public static func score(_ score: Int?) -> Pair {
        level(score.map { Scoring.level(forScore: $0).rawValue })
    }

    /// Nothing verified, or no level.
    public static let notEvaluated = Pair(fill: "#6e7781", text: white)
    /// No report at all: a light cell, dark text.
    public static let noReport = Pair(fill: "#d0d7de", text: ink)

    /// Every pair the renderers emit.
    public static var all: [Pair] { Level.allCases.map { level($0.rawValue) } + [notEvaluated, noReport] }

    /// WCAG 2.x contrast ratio of two `#rrggbb` colours, 1…21; nil when one is not `#rrggbb`.
    public static func contrast(_ a: String, _ b: String) -> Double? {
        guard let la = luminance(a), let lb = luminance(b) else { return nil }
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }

    /// Relative luminance (WCAG 2.x definition, sRGB).
    static func luminance(_ hex: String) -> Double? {
        let digits = hex.hasPrefix("#") ? hex.dropFirst() : Substring(hex)
        guard digits.count == 6, let value = Int(digits, radix: 16) else { return nil }
        func channel(_ shift: Int) -> Double {
            let c = Double((value >> shift) & 0xFF) / 255
            return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0)
    }
}
