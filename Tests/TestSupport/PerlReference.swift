import Foundation

/// The Perl `Monitoring::Plugin` library (Debian libmonitoring-plugin-perl), the reference these tests check
/// cyberctl's plugin output and threshold ranges against.
public enum PerlReference {
    /// Reads `range value` lines on stdin; prints, for each, `invalid` or `alert`/`ok` as
    /// `Monitoring::Plugin::Range::check_range` decides.
    public static let rangeScript = #"""
        use strict; use warnings;
        use Monitoring::Plugin::Range;
        while (my $line = <STDIN>) {
            chomp $line;
            my ($range, $value) = split / /, $line, 2;
            local $SIG{__WARN__} = sub {};
            my $parsed = Monitoring::Plugin::Range->parse_range_string($range);
            print defined $parsed ? ($parsed->check_range($value) ? "alert" : "ok") : "invalid", "\n";
        }
        """#

    /// Reads a plugin's whole output on stdin; checks the status line (`CYBERCTL STATE: text`), then parses
    /// the performance data of the status line and of the long output (after its first `|`) with
    /// `Monitoring::Plugin::Performance->parse_perfstring`. Prints `state STATE`, then one line per item:
    /// `perf<TAB>label<TAB>value<TAB>uom<TAB>warning<TAB>critical<TAB>min<TAB>max`. Exits 1 when the status
    /// line is malformed or an item does not parse (counted by `=` signs).
    public static let outputScript = #"""
        use strict; use warnings;
        use Monitoring::Plugin::Performance;
        local $/; my $text = <STDIN>;
        my ($first, $rest) = split /\n/, $text, 2; $rest //= "";
        $first =~ /^CYBERCTL (OK|WARNING|CRITICAL|UNKNOWN): \S/ or die "bad status line: $first\n";
        print "state $1\n";
        my @perfs;
        my (undef, $headPerf) = split /\|/, $first, 2;
        my $tailPerf = ($rest =~ /\|(.*)\z/s) ? $1 : "";
        for my $chunk ($headPerf, $tailPerf) {
            next unless defined $chunk && $chunk =~ /\S/;
            $chunk =~ s/\n/ /g;
            my $expected = () = $chunk =~ /=/g;
            my @parsed = Monitoring::Plugin::Performance->parse_perfstring($chunk);
            die "parsed " . scalar(@parsed) . " of $expected items in: $chunk\n" unless @parsed == $expected;
            push @perfs, @parsed;
        }
        for my $p (@perfs) {
            print join("\t", "perf", map { defined $_ ? $_ : "" } ($p->label, $p->value, $p->uom, $p->warning, $p->critical, $p->min, $p->max)), "\n";
        }
        """#

    /// Runs `script` with `input` on stdin.
    public static func run(_ script: String, input: String) throws -> Command.Output {
        try Command.run("perl", ["-e", script], input: Data(input.utf8))
    }

    /// One performance data item as Perl parsed it.
    public struct Item: Equatable, Sendable {
        public let label, value, unit, warning, critical, minimum, maximum: String

        public init(label: String, value: String, unit: String, warning: String, critical: String, minimum: String, maximum: String) {
            (self.label, self.value, self.unit, self.warning, self.critical, self.minimum, self.maximum) = (label, value, unit, warning, critical, minimum, maximum)
        }
    }

    /// The state word and performance data Perl read from `output`; throws when Perl refused it.
    public static func parse(_ output: String) throws -> (state: String, items: [Item]) {
        let result = try run(outputScript, input: output)
        guard result.exitCode == 0 else { throw TestSupportError("Monitoring::Plugin refused the output: \(result.stderr)\n\(output)") }
        var state = ""
        var items: [Item] = []
        for line in result.stdout.split(separator: "\n") {
            if line.hasPrefix("state ") { state = String(line.dropFirst(6)); continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 8 else { continue }
            items.append(Item(label: fields[1], value: fields[2], unit: fields[3], warning: fields[4], critical: fields[5], minimum: fields[6], maximum: fields[7]))
        }
        return (state, items)
    }
}
