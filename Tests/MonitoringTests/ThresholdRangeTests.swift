import Foundation
import Monitoring
import Testing
import TestSupport

/// `-w`/`-c` ranges read as the Monitoring Plugins guidelines define them, checked against the Perl
/// `Monitoring::Plugin::Range` reference on a grid of ranges and values.
@Suite struct ThresholdRangeTests {
    static let ranges = [
        "10", "10:", "~:10", "10:20", "@10:20", "@10", "@~:5", "-5:-1", "0", "1.5:", "~:", "0:0", "@0:0", "-10:10", "5.", ".5",
        "20:10", "", "abc", "1,5", "@", ":", "~", "10:~", "+3", "1e3", " 10", ":10", "10:20:30", "--5", "1..5",
    ]
    static let values: [Double] = [-11, -10, -5, -1, -0.5, 0, 0.5, 1, 1.5, 5, 9.99, 10, 10.01, 15, 20, 20.5, 25, 1000]

    @Test func agreesWithMonitoringPluginRange() throws {
        var lines: [String] = []
        var ours: [String] = []
        for range in Self.ranges {
            let parsed = ThresholdRange(range)
            for value in Self.values {
                lines.append("\(range) \(value)")
                ours.append(parsed.map { $0.alerts(value) ? "alert" : "ok" } ?? "invalid")
            }
        }
        let output = try PerlReference.run(PerlReference.rangeScript, input: lines.joined(separator: "\n") + "\n")
        #expect(output.exitCode == 0, "\(output.stderr)")
        let reference = output.stdout.split(separator: "\n").map(String.init)
        try #require(reference.count == ours.count)
        for index in lines.indices where ours[index] != "invalid" {
            // Where cyberctl accepts a range, Perl reads it the same way.
            #expect(ours[index] == reference[index], "range and value \(lines[index]): cyberctl \(ours[index]), Monitoring::Plugin \(reference[index])")
        }
        for index in lines.indices where reference[index] == "invalid" {
            // What Perl refuses, cyberctl refuses too.
            #expect(ours[index] == "invalid", "\(lines[index])")
        }
    }

    @Test func refusesWhatIsNotTheGuidelinesSyntax() {
        // Stricter than Perl, which reads these somehow: a comma (not the C locale), exponents, a sign '+',
        // spaces, an empty start.
        for text in ["1,5", "1e3", "+3", " 10", ":10", "10:~", "20:10", "", "@", "~"] {
            #expect(ThresholdRange(text) == nil, "\(text)")
        }
        #expect(ThresholdRange("30:")?.alerts(29) == true)
        #expect(ThresholdRange("30:")?.alerts(30) == false)
        #expect(ThresholdRange("@10:20")?.alerts(10) == true)
        #expect(ThresholdRange("~:20")?.alerts(-1_000_000) == false)
    }
}
