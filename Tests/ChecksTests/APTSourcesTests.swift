@testable import Checks
import Foundation
import Testing
import TestSupport

/// Which list files the configured sources mean, checked against apt itself (`apt-get indextargets`
/// reads the same sources and prints the file name of each index it would use).
@Suite struct APTSourcesTests {
    static let oneLine = """
        # comments and deb-src lines are ignored
        deb [arch=amd64] http://user:secret@mirror.example.fr:8080/debian~x/ bookworm-security main contrib
        deb https://deb.example.org/a_b/ ./
        deb file:/srv/local-repo stable main
        deb-src http://deb.debian.org/debian bookworm main
        deb [ arch=amd64,i386 signed-by=/usr/share/keyrings/x.gpg ] http://archive.ubuntu.com/ubuntu jammy-security main universe # trailing comment
        """

    static let deb822 = """
        Types: deb deb-src
        URIs: http://deb.debian.org/debian https://mirror.example.fr/debian
        Suites: bookworm bookworm-updates
        Components: main non-free-firmware
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        # disabled
        Types: deb
        URIs: http://security.ubuntu.com/ubuntu
        Suites: noble-security
        Components: main
        Enabled: no
        """

    @Test func listFileNamesAreTheOnesAptUses() throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/apt/sources.list", Self.oneLine)
        try directory.write("etc/apt/sources.list.d/debian.sources", Self.deb822)
        let output = try Command.run("/usr/bin/apt-get", [
            "indextargets", "--no-release-info",
            "-o", "Dir::Etc::sourcelist=\(directory.url("etc/apt/sources.list"))",
            "-o", "Dir::Etc::sourceparts=\(directory.url("etc/apt/sources.list.d"))",
        ], environment: ["LC_ALL": "C"])
        try #require(output.exitCode == 0, "apt-get indextargets: \(output.stderr)")
        var aptNames = Set<String>()
        for stanza in DebianFiles.stanzas(output.stdout) where stanza.fields["Identifier"] == "Packages" && stanza.fields["Target-Of"] == "deb" {
            aptNames.insert(String(stanza.fields["Filename"]!.split(separator: "/").last!))
        }
        try #require(!aptNames.isEmpty)

        let read = APTSourcesReader.read(try FileSystemRoot(directory.path))
        #expect(read.problems.isEmpty)
        #expect(read.sources.count == 1 + 1 + 1 + 1 + 4, "\(read.sources.map(\.origin))")
        let native = try Command.run("/usr/bin/dpkg", ["--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var ours = Set<String>()
        for source in read.sources {
            for component in source.isFlat ? [""] : source.components {
                for architecture in (source.architectures.isEmpty ? [native] : source.architectures) + ["all"] {
                    ours.insert(source.packagesFileName(component: component, architecture: architecture))
                }
            }
        }
        #expect(ours == aptNames, "only cyberctl: \(ours.subtracting(aptNames)); only apt: \(aptNames.subtracting(ours))")
        #expect(read.sources.first?.origin.hasSuffix("sources.list:2") == true)
    }

    @Test func aBrokenSourcesFileIsNamedWithItsLine() throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/apt/sources.list.d/bad.sources", "Types: deb\nURIs: http://deb.debian.org/debian\nthis is not a field\n")
        try directory.write("etc/apt/sources.list.d/half.sources", "Types: deb\nComponents: main\n")
        let read = APTSourcesReader.read(try FileSystemRoot(directory.path))
        #expect(read.problems.map(\.en).contains("/etc/apt/sources.list.d/bad.sources:3: expected \"Field: value\", got \"this is not a field\""), "\(read.problems)")
        #expect(read.problems.map(\.en).contains("/etc/apt/sources.list.d/half.sources:1: a deb stanza needs URIs and Suites"), "\(read.problems)")
    }

    @Test func pinsAreParsedAsAptPreferencesDescribesThem() throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/apt/preferences.d/backports", """
            Explanation: backports only on request
            Package: *
            Pin: release a=bookworm-backports
            Pin-Priority: 100

            Package: nginx nginx-*
            Pin: release o=Debian,n=/^bookworm(-security)?$/
            Pin-Priority: 900

            Package: /^openssl/
            Pin: version 3.0.*
            Pin-Priority: 1001

            """)
        try directory.write("etc/apt/preferences.d/ignored.txt", "Package: *\nPin: release a=x\nPin-Priority: -1\n")
        try directory.write("etc/apt/preferences.d/bad", "Package: x\nPin: sideways\nPin-Priority: 5\n")
        let preferences = APTPreferences.read(try FileSystemRoot(directory.path))
        #expect(preferences.pins.count == 3)
        #expect(preferences.problems.map(\.en) == ["/etc/apt/preferences.d/bad:1: unsupported Pin \"sideways\""])
        var release = APTRelease(path: "x")
        release.origin = "Debian"
        release.codename = "bookworm-security"
        release.suite = "oldstable-security"
        let security = APTPreferences.VersionSource(release: release, component: "main", architecture: "amd64", host: "deb.debian.org")
        // Specific pins come before the general one, first match wins.
        #expect(preferences.pinnedPriority(package: "nginx-common", version: "1.22.1-9", source: security) == 900)
        #expect(preferences.pinnedPriority(package: "openssl", version: "3.0.15-1", source: security) == 1001)
        #expect(preferences.pinnedPriority(package: "curl", version: "7.88.1-10", source: security) == nil)
        release.suite = "bookworm-backports"
        #expect(preferences.pinnedPriority(package: "curl", version: "8.1", source: .init(release: release)) == 100)
        // The installed version (status file) only matches version pins.
        #expect(preferences.pinnedPriority(package: "nginx", version: "1.22.1-9", source: .init(release: nil)) == nil)
        #expect(preferences.pinnedPriority(package: "openssl", version: "3.0.11-1", source: .init(release: nil)) == 1001)
    }

    @Test func releaseFilesOfThisMachineReadAsTheyAre() throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: DebianFiles.listsDirectory)) ?? [])
            .filter { $0.hasSuffix("Release") }
        for name in names {
            let path = DebianFiles.listsDirectory + "/" + name
            let expected = try DebianFiles.releaseFields(path)
            let release = try APTRelease.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), path: path)
            #expect(release.suite == expected["Suite"] && release.codename == expected["Codename"], "\(name)")
            #expect(release.origin == expected["Origin"] && release.label == expected["Label"], "\(name)")
            #expect(release.isSecurity == name.contains("security"), "\(name)")
        }
        // Unsigned Release with NotAutomatic, as backports and experimental publish it.
        let backports = Array("Origin: Debian Backports\nLabel: Debian Backports\nSuite: bookworm-backports\nCodename: bookworm-backports\nNotAutomatic: yes\nButAutomaticUpgrades: yes\nSHA256:\n 0123 12 main/binary-amd64/Packages\n".utf8)
        let release = try APTRelease.parse(backports, path: "Release")
        #expect(release.defaultPriority == 100 && !release.isSecurity)
        #expect(throws: ControlFileError.self) { try APTRelease.parse(Array("Origin: x\nthis is broken\n".utf8), path: "Release") }
        #expect(throws: ControlFileError.self) { try APTRelease.parse(Array("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n".utf8), path: "InRelease") }
    }
}
