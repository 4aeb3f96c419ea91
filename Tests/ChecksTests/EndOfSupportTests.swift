@testable import Checks
import Foundation
import Model
import Testing
import TestSupport

/// `patch.os-eol` against the real distro-info-data of this machine (`/usr/share/distro-info`, package
/// distro-info-data) and the reference programs that read it (`debian-distro-info`, `ubuntu-distro-info`,
/// package distro-info).
@Suite struct EndOfSupportTests {
    static let hostFolder = "/usr/share/distro-info"

    static func day(_ text: String) -> Date { ISO8601.date(from: text + "T12:00:00Z")! }

    /// The check's `patch.os-eol` on a tree holding only `os-release` (and `files`); without a table in
    /// the tree, the one of `folders`, by default cyberctl's shipped copy (fixed dates for fixed expectations).
    static func eol(
        _ osRelease: String, today: Date, sources: [APTSource] = [], folders: [String]? = nil, files: [String: String] = [:]
    ) throws -> CheckResult {
        let directory = try TemporaryDirectory()
        try directory.write("etc/os-release", osRelease)
        for (path, text) in files { try directory.write(String(path.dropFirst()), text) }
        let root = try FileSystemRoot(directory.path)
        var check = PackagesCheck()
        check.distroInfoFolders = folders
        return check.endOfLife(OSRelease.read(root), root: root, now: today, sources: sources)
    }

    static let esm = [APTSource(uri: "https://esm.ubuntu.com/infra/ubuntu", suite: "focal-infra-security", components: ["main"], architectures: [], origin: "test")]
    static let elts = [APTSource(uri: "http://deb.freexian.com/extended-lts", suite: "bullseye", components: ["main"], architectures: [], origin: "test")]

    @Test(arguments: [
        // Debian 12 (distro-info-data: eol 2026-07-11, LTS to 2028-06-30, ELTS to 2033-06-30).
        ("ID=debian\nVERSION_ID=\"12\"\n", "", "2025-12-01", Status.pass, "standard"),
        ("ID=debian\nVERSION_ID=\"12\"\n", "", "2026-03-01", Status.warn, "standard"),
        ("ID=debian\nVERSION_ID=\"12\"\n", "", "2027-01-01", Status.warn, "debian-lts"),
        ("ID=debian\nVERSION_ID=\"12\"\n", "", "2028-07-01", Status.fail, "debian-elts"),
        ("ID=debian\nVERSION_ID=\"12\"\n", "elts", "2028-07-01", Status.warn, "debian-elts"),
        ("ID=debian\nVERSION_ID=\"9\"\n", "", "2026-11-29", Status.fail, "debian-elts"),
        ("ID=debian\nVERSION_ID=\"7\"\n", "elts", "2026-11-29", Status.fail, "ended"),
        // Debian testing: no VERSION_ID, only the codename.
        ("ID=debian\nVERSION_CODENAME=forky\n", "", "2026-11-29", Status.warn, "development"),
        // Ubuntu 20.04: standard to 2025-05-29; ESM (Ubuntu Pro) only with the esm sources.
        ("ID=ubuntu\nVERSION_ID=\"20.04\"\n", "", "2026-11-29", Status.fail, "ubuntu-esm"),
        ("ID=ubuntu\nVERSION_ID=\"20.04\"\n", "esm", "2026-11-29", Status.warn, "ubuntu-esm"),
        ("ID=ubuntu\nVERSION_ID=\"24.04\"\n", "", "2026-11-29", Status.pass, "standard"),
        ("ID=ubuntu\nVERSION_ID=\"16.04\"\n", "esm", "2026-11-29", Status.warn, "ubuntu-legacy"),
        ("ID=ubuntu\nVERSION_ID=\"16.04\"\n", "", "2026-11-29", Status.fail, "ubuntu-legacy"),
        // Every Ubuntu release is known, not only the LTS ones: 25.04 ended on 2026-01-15.
        ("ID=ubuntu\nVERSION_ID=\"25.04\"\n", "", "2026-11-29", Status.fail, "ended"),
        ("ID=ubuntu\nVERSION_ID=\"25.10\"\n", "", "2026-01-20", Status.warn, "standard"),
        // RHEL family: cyberctl's sourced table, by major version.
        ("ID=rhel\nVERSION_ID=9.4\n", "", "2026-11-29", Status.pass, "standard"),
        ("ID=rhel\nVERSION_ID=7.9\n", "", "2026-11-29", Status.fail, "ended"),
        ("ID=rocky\nVERSION_ID=8.10\n", "", "2029-01-01", Status.warn, "standard"),
        ("ID=almalinux\nVERSION_ID=10.0\n", "", "2026-11-29", Status.pass, "standard"),
    ])
    func phasesAndStatuses(osRelease: String, sources: String, today: String, expected: Status, phase: String) throws {
        let result = try Self.eol(osRelease, today: Self.day(today), sources: sources == "esm" ? Self.esm : sources == "elts" ? Self.elts : [])
        #expect(result.code == "patch.os-eol")
        #expect(result.status == expected, "\(osRelease) on \(today): \(result.evidence)")
        #expect(result.evidence["phase"]?.stringValue == phase, "\(osRelease) on \(today): \(result.evidence)")
        #expect(result.evidence["source"]?.stringValue?.isEmpty == false)
    }

    /// The phase distro-info's programs give a release on a day: `--supported` (standard, or
    /// development before the release date), `--lts`, `--elts` (Debian), `--supported-esm` (Ubuntu);
    /// Ubuntu's Legacy phase, which distro-info 1.5 does not know, from the CSV's `eol-legacy` column.
    static func referencePhase(_ distribution: DistroInfo.Distribution, series: String, date: String, row: DistroInfo.Release) throws -> String {
        func listed(_ option: String) throws -> Bool {
            let output = try Command.run("/usr/bin/\(distribution.rawValue)-distro-info", ["--date=\(date)", option], environment: ["LC_ALL": "C"])
            return output.stdout.split(separator: "\n").contains { $0 == series }
        }
        let day = DistroInfo.day(date)!
        if try listed("--supported") { return row.release.map { day >= $0 } == true ? "standard" : "development" }
        switch distribution {
        case .debian:
            if try listed("--lts") { return "debian-lts" }
            if try listed("--elts") { return "debian-elts" }
        case .ubuntu:
            if try listed("--supported-esm") { return "ubuntu-esm" }
            if let legacy = row.eolLegacy, day < legacy { return "ubuntu-legacy" }
        }
        return "ended"
    }

    @Test(arguments: [DistroInfo.Distribution.debian, .ubuntu])
    func everyReleaseAndEveryBoundaryAgreesWithDistroInfo(distribution: DistroInfo.Distribution) throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/\(distribution.rawValue)-distro-info"), "apt-get install distro-info")
        let path = Self.hostFolder + "/" + distribution.fileName
        let table = try DistroInfo.parse(try String(contentsOfFile: path, encoding: .utf8), distribution: distribution, path: path)
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count - 1
        #expect(table.releases.count == rows, "every row of \(path) is a release")
        var compared = 0
        for row in table.releases {
            // The release as os-release names it: VERSION_ID, else (sid, experimental) the codename.
            let version = row.version.hasSuffix(" LTS") ? String(row.version.dropLast(4)) : row.version
            let osRelease = "ID=\(distribution.rawValue)\n" + (version.isEmpty ? "VERSION_CODENAME=\(row.series)\n" : "VERSION_ID=\"\(version)\"\n")
            let boundaries = [row.release, row.eol, row.eolLTS, row.eolELTS, row.eolServer, row.eolESM, row.eolLegacy].compactMap { $0 }
            for boundary in boundaries {
                for offset in [-1, 0, 1] {
                    let date = boundary.addingTimeInterval(Double(offset) * 86_400)
                    // distro-info knows a release only from its creation on.
                    guard let created = row.created, date >= created else { continue }
                    let text = PackagesCheck.dayText(date)
                    let result = try Self.eol(osRelease, today: date.addingTimeInterval(12 * 3600), folders: [Self.hostFolder])
                    let expected = try Self.referencePhase(distribution, series: row.series, date: text, row: row)
                    #expect(result.evidence["phase"]?.stringValue == expected, "\(distribution) \(row.series) on \(text): \(result.evidence) \(result.reason ?? "")")
                    compared += 1
                }
            }
        }
        #expect(compared > 60, "\(compared) comparisons")
    }

    @Test func theAuditedSystemsOwnTableIsReadFirst() throws {
        // A host table more recent than cyberctl's copy (it knows a release created later) that moves Debian 12's
        // end: the more recent table's word wins.
        let shipped = try String(contentsOfFile: Self.hostFolder + "/debian.csv", encoding: .utf8)
        let moved = shipped.replacingOccurrences(of: "12,Bookworm,bookworm,2021-08-14,2023-06-10,2026-07-11,", with: "12,Bookworm,bookworm,2021-08-14,2023-06-10,2030-01-01,")
        try #require(moved != shipped)
        let newer = moved + "17,Future,future,2031-01-01\n"
        let result = try Self.eol(
            "ID=debian\nVERSION_ID=12\n", today: Self.day("2027-01-01"), folders: [Self.hostFolder], files: ["/usr/share/distro-info/debian.csv": newer])
        #expect(result.status == .pass, "\(result.evidence)")
        #expect(result.evidence["source"]?.stringValue?.hasPrefix("/usr/share/distro-info/debian.csv:") == true, "\(result.evidence)")
        #expect(result.evidence["datesFromShippedCopy"] == nil)
        // The same moved date in a table no more recent than cyberctl's: the earlier end (cyberctl's) holds.
        let same = try Self.eol(
            "ID=debian\nVERSION_ID=12\n", today: Self.day("2027-01-01"), folders: [Self.hostFolder], files: ["/usr/share/distro-info/debian.csv": moved])
        #expect(same.status == .warn && same.evidence["phase"]?.stringValue == "debian-lts", "\(same.evidence)")
        #expect(same.evidence["datesFromShippedCopy"] == .strings(["eol"]), "\(same.evidence)")
        let host = "version,codename,series,created,release,eol,eol-lts,eol-elts\n12,Bookworm,bookworm,2021-08-14,2023-06-10,2026-07-11\n"
        // A release the host's (older) table does not know yet: cyberctl's copy is asked.
        let older = try Self.eol("ID=debian\nVERSION_ID=13\n", today: Self.day("2026-11-29"), files: ["/usr/share/distro-info/debian.csv": host])
        #expect(older.status == .pass && older.evidence["release"]?.stringValue == "Debian 13 trixie", "\(older.evidence) \(older.reason ?? "")")
        #expect(older.evidence["source"]?.stringValue?.contains("Profiles/distro-info/debian.csv:") == true, "\(older.evidence)")
    }

    /// An old Debian 10 image still carries the distro-info-data of 2019, whose buster row has no end yet: the ends
    /// come from the real table (this machine's distro-info-data, as cyberctl's copy), and agree with
    /// `debian-distro-info` reading that real table.
    @Test func aStaleHostTableDoesNotHideTheEndOfSupport() throws {
        let real = try String(contentsOfFile: Self.hostFolder + "/debian.csv", encoding: .utf8)
        let lines = real.split(separator: "\n").map(String.init)
        let busterRow = try #require(lines.firstIndex { $0.hasPrefix("10,Buster,buster,") })
        // The 2019 table: the rows up to buster, buster's without its ends, then sid and experimental.
        var old = Array(lines[...busterRow])
        old[busterRow] = "10,Buster,buster,2017-06-17,2019-07-06,"
        old += lines.filter { $0.hasPrefix(",Sid,") || $0.hasPrefix(",Experimental,") }
        let stale = old.joined(separator: "\n") + "\n"
        let today = "2026-11-29"
        let buster = "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\nID=debian\nVERSION_ID=\"10\"\nVERSION_CODENAME=buster\n"

        // The reference on the real table: buster is in Freexian's ELTS only, neither supported nor LTS.
        let elts = try Command.run("/usr/bin/debian-distro-info", ["--elts", "--date=\(today)"]).stdout
        let lts = try Command.run("/usr/bin/debian-distro-info", ["--lts", "--date=\(today)"]).stdout
        #expect(elts.split(separator: "\n").contains("buster") && !lts.split(separator: "\n").contains("buster"), "elts: \(elts) lts: \(lts)")

        let withoutHostTable = try Self.eol(buster, today: Self.day(today), folders: [Self.hostFolder])
        let withStaleTable = try Self.eol(buster, today: Self.day(today), folders: [Self.hostFolder], files: ["/usr/share/distro-info/debian.csv": stale])
        for result in [withoutHostTable, withStaleTable] {
            #expect(result.status == .fail && result.severity == .high, "\(result.status) \(result.evidence)")
            #expect(result.evidence["phase"]?.stringValue == "debian-elts", "\(result.evidence)")
            #expect(result.evidence["securitySupportEnds"]?.stringValue == "2022-09-10", "\(result.evidence)")
            #expect(result.evidence["phaseEnds"]?.stringValue == "2029-06-30", "\(result.evidence)")
        }
        #expect(withStaleTable.evidence["datesFromShippedCopy"] == .strings(["eol", "eol-lts", "eol-elts"]), "\(withStaleTable.evidence)")
        let source = withStaleTable.evidence["source"]?.stringValue ?? ""
        #expect(source.hasPrefix("/usr/share/distro-info/debian.csv:\(busterRow + 1), eol, eol-lts, eol-elts from \(Self.hostFolder)/debian.csv:\(busterRow + 1)"), "\(source)")
        // The stale table is older by its content (it knows no release created after buster's successor began).
        let staleTable = try DistroInfo.parse(stale, distribution: .debian, path: "stale")
        let realTable = try DistroInfo.parse(real, distribution: .debian, path: "real")
        #expect(realTable.isNewer(than: staleTable) && !staleTable.isNewer(than: realTable) && !realTable.isNewer(than: realTable))
    }

    @Test func theShippedCopyIsFoundFromTheCheckoutAndIsDistroInfoData() throws {
        // No folder given: ShippedData finds Profiles/distro-info of this checkout.
        let result = try Self.eol("ID=ubuntu\nVERSION_ID=\"22.04\"\n", today: Self.day("2026-11-29"), folders: nil)
        #expect(result.status == .pass, "\(result.evidence) \(result.reason ?? "")")
        let source = try #require(result.evidence["source"]?.stringValue)
        #expect(source.contains("Profiles/distro-info/ubuntu.csv:"), "\(source)")
        let shipped = String(source.prefix { $0 != ":" })
        for name in ["debian.csv", "ubuntu.csv"] {
            let copy = try DistroInfo.parse(
                try String(contentsOfFile: (shipped as NSString).deletingLastPathComponent + "/" + name, encoding: .utf8),
                distribution: name == "debian.csv" ? .debian : .ubuntu, path: name)
            #expect(copy.releases.count > 20, "\(name)")
        }
    }

    @Test(arguments: [
        ("version,codename,series,created,release,eol\n12,Bookworm,bookworm,2021-08-14,2023-06-10,2026-13-11\n", ":2: eol \"2026-13-11\" is not a YYYY-MM-DD date"),
        ("version,codename,series,created,release,eol\n12,Bookworm,bookworm,2021-08-14,2023-06-10,2026-02-30\n", ":2: eol \"2026-02-30\" is not a YYYY-MM-DD date"),
        ("version,codename,series,created,release,eol\n12,Bookworm,bookworm,2021-08-14,2023-06-10,2026-07-11,x,y\n", ":2: 8 cells, expected 4 to 6"),
        ("version,codename,series,created,release,eol\n11,Bullseye,bullseye,2019-07-06\n\n12,Bookworm,bookworm,2021-08-14\n", ":3: empty line"),
        ("version;codename;series\n12;Bookworm;bookworm\n", ":1: header has no \"version\" column"),
        ("", ":1: empty file"),
    ])
    func aMalformedHostTableIsAnErrorNamingFileAndLine(text: String, expected: String) throws {
        let result = try Self.eol("ID=debian\nVERSION_ID=12\n", today: Self.day("2026-11-29"), files: ["/usr/share/distro-info/debian.csv": text])
        #expect(result.status == .error, "no fallback to a pass: \(result.evidence)")
        #expect(result.reason?.hasPrefix("/usr/share/distro-info/debian.csv" + expected) == true, "\(result.reason ?? "")")
    }

    @Test func anUnreadableHostTableIsAnErrorNotAFallback() throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/os-release", "ID=ubuntu\nVERSION_ID=\"22.04\"\n")
        try directory.makeDirectory("usr/share/distro-info/ubuntu.csv")  // a folder where the file should be
        let root = try FileSystemRoot(directory.path)
        var check = PackagesCheck()
        check.distroInfoFolders = [Self.hostFolder]
        let result = check.endOfLife(OSRelease.read(root), root: root, now: Self.day("2026-11-29"), sources: [])
        #expect(result.status == .error)
        #expect(result.reason == "/usr/share/distro-info/ubuntu.csv: is a directory", "\(result.reason ?? "")")
        // A link to a file that is gone: the host's table is broken, not absent.
        try FileManager.default.removeItem(atPath: directory.url("usr/share/distro-info/ubuntu.csv"))
        try FileManager.default.createSymbolicLink(atPath: directory.url("usr/share/distro-info/ubuntu.csv"), withDestinationPath: "/usr/share/distro-info/gone.csv")
        let dangling = check.endOfLife(OSRelease.read(root), root: root, now: Self.day("2026-11-29"), sources: [])
        #expect(dangling.status == .error)
        #expect(dangling.reason == "/usr/share/distro-info/ubuntu.csv: no such file or directory", "\(dangling.reason ?? "")")
    }

    @Test func anUnknownReleaseIsAnErrorNamingIt() throws {
        let result = try Self.eol("ID=ubuntu\nVERSION_ID=\"31.10\"\n", today: Self.day("2026-11-29"), folders: [Self.hostFolder])
        #expect(result.status == .error)
        #expect(result.reason == "unknown release: ubuntu VERSION_ID=31.10 is not in /usr/share/distro-info/ubuntu.csv", "\(result.reason ?? "")")
        let rhel = try Self.eol("ID=rhel\nVERSION_ID=6.10\n", today: Self.day("2026-11-29"))
        #expect(rhel.status == .error && rhel.reason?.contains("unknown release: no end-of-support date for rhel 6.10") == true, "\(rhel.reason ?? "")")
    }

    @Test func theFixTextSaysReplaceOnlyWhenSupportHasEnded() throws {
        let lts = try Self.eol("ID=debian\nVERSION_ID=12\n", today: Self.day("2027-01-01"))
        let french = try #require(EndOfSupportText.remediation(lts, .fr))
        #expect(french.contains("équipe LTS de Debian") && french.contains("30 juin 2028") && french.contains("Planifier la mise à niveau"), "\(french)")
        #expect(!french.contains("remplacer"), "\(french)")
        #expect(Catalogue.remediation(for: lts, in: .fr) == french)
        let esm = try Self.eol("ID=ubuntu\nVERSION_ID=\"20.04\"\n", today: Self.day("2026-11-29"), sources: Self.esm)
        let esmText = try #require(EndOfSupportText.remediation(esm, .fr))
        #expect(esmText.contains("Ubuntu Pro") && esmText.contains("23 avril 2030") && !esmText.contains("remplacer"), "\(esmText)")
        let ended = try Self.eol("ID=debian\nVERSION_ID=\"7\"\n", today: Self.day("2026-11-29"))
        #expect(EndOfSupportText.remediation(ended, .fr)?.contains("remplacer le serveur") == true)
        #expect(EndOfSupportText.detail(lts, .en) == "Debian 12 bookworm — Debian LTS (partial), ending on 30 June 2028")
        // The catalogue's own text no longer says support has ended whatever the phase.
        #expect(!Catalogue.text(for: "patch.os-eol", in: .fr).remediation.contains("remplacer"))
    }
}
