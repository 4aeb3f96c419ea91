import Checks
import Foundation
import Model
import Testing
import TestSupport

/// rpmvercmp on the pairs of rpm's own test suite (rpm `tests/rpmvercmp.at`), EVR comparison, and
/// the parsing of rpm and dnf output.
@Suite struct RPMVersionTests {
    static let pairs: [(String, String, Int)] = [
        ("1.0", "1.0", 0), ("1.0", "2.0", -1), ("2.0", "1.0", 1), ("2.0.1", "2.0.1", 0), ("2.0", "2.0.1", -1),
        ("2.0.1", "2.0", 1), ("2.0.1a", "2.0.1a", 0), ("2.0.1a", "2.0.1", 1), ("2.0.1", "2.0.1a", -1),
        ("5.5p1", "5.5p1", 0), ("5.5p1", "5.5p2", -1), ("5.5p2", "5.5p1", 1), ("5.5p10", "5.5p10", 0),
        ("5.5p1", "5.5p10", -1), ("5.5p10", "5.5p1", 1), ("10xyz", "10.1xyz", -1), ("10.1xyz", "10xyz", 1),
        ("xyz10", "xyz10", 0), ("xyz10", "xyz10.1", -1), ("xyz10.1", "xyz10", 1), ("xyz.4", "xyz.4", 0),
        ("xyz.4", "8", -1), ("8", "xyz.4", 1), ("xyz.4", "2", -1), ("2", "xyz.4", 1), ("5.5p2", "5.6p1", -1),
        ("5.6p1", "5.5p2", 1), ("5.6p1", "6.5p1", -1), ("6.5p1", "5.6p1", 1), ("6.0.rc1", "6.0", 1),
        ("6.0", "6.0.rc1", -1), ("10b2", "10a1", 1), ("10a2", "10b2", -1), ("1.0aa", "1.0aa", 0),
        ("1.0a", "1.0aa", -1), ("1.0aa", "1.0a", 1), ("10.0001", "10.0001", 0), ("10.0001", "10.1", 0),
        ("10.1", "10.0001", 0), ("10.0001", "10.0039", -1), ("10.0039", "10.0001", 1), ("4.999.9", "5.0", -1),
        ("5.0", "4.999.9", 1), ("20101121", "20101121", 0), ("20101121", "20101122", -1), ("20101122", "20101121", 1),
        ("2_0", "2_0", 0), ("2.0", "2_0", 0), ("2_0", "2.0", 0), ("a", "a", 0), ("a+", "a+", 0), ("a+", "a_", 0),
        ("a_", "a+", 0), ("+a", "+a", 0), ("+a", "_a", 0), ("_a", "+a", 0), ("+_", "+_", 0), ("_+", "+_", 0),
        ("_+", "_+", 0), ("+", "_", 0), ("_", "+", 0), ("1.0~rc1", "1.0~rc1", 0), ("1.0~rc1", "1.0", -1),
        ("1.0", "1.0~rc1", 1), ("1.0~rc1", "1.0~rc2", -1), ("1.0~rc2", "1.0~rc1", 1), ("1.0~rc1~git123", "1.0~rc1~git123", 0),
        ("1.0~rc1~git123", "1.0~rc1", -1), ("1.0~rc1", "1.0~rc1~git123", 1), ("1.0^", "1.0^", 0), ("1.0^", "1.0", 1),
        ("1.0", "1.0^", -1), ("1.0^git1", "1.0^git1", 0), ("1.0^git1", "1.0", 1), ("1.0", "1.0^git1", -1),
        ("1.0^git1", "1.0^git2", -1), ("1.0^git2", "1.0^git1", 1), ("1.0^git1", "1.01", -1), ("1.01", "1.0^git1", 1),
        ("1.0^20160101", "1.0^20160101", 0), ("1.0^20160101", "1.0.1", -1), ("1.0.1", "1.0^20160101", 1),
        ("1.0^20160101^git1", "1.0^20160101^git1", 0), ("1.0^20160102", "1.0^20160101^git1", 1),
        ("1.0^20160101^git1", "1.0^20160102", -1), ("1.0~rc1^git1", "1.0~rc1^git1", 0), ("1.0~rc1^git1", "1.0~rc1", 1),
        ("1.0~rc1", "1.0~rc1^git1", -1), ("1.0^git1~pre", "1.0^git1~pre", 0), ("1.0^git1", "1.0^git1~pre", 1),
        ("1.0^git1~pre", "1.0^git1", -1),
    ]

    @Test func rpmvercmpTestSuitePairs() {
        for (a, b, expected) in Self.pairs {
            #expect(RPMVersion.compare(a, b) == expected, "rpmvercmp(\(a), \(b))")
        }
    }

    @Test func epochVersionRelease() {
        #expect(RPMVersion.EVR("1:1.0-1") > RPMVersion.EVR("2.0-1"))
        #expect(RPMVersion.EVR("3.0.7-27.el9") < RPMVersion.EVR("3.0.7-28.el9"))
        #expect(RPMVersion.EVR("3.0.7-27.el9_4") > RPMVersion.EVR("3.0.7-27.el9"))
        #expect(RPMVersion.EVR("1:3.0.7-27.el9").description == "1:3.0.7-27.el9")
        #expect(RPMVersion.EVR("0:2.1-3") == RPMVersion.EVR("2.1-3"))
    }

    @Test func rpmQueryAndDnfOutput() throws {
        let query = "openssl\t1\t3.0.7\t27.el9\tx86_64\ngpg-pubkey\t0\tfd431d51\t4ae0493b\t(none)\nbash\t0\t5.1.8\t9.el9\tx86_64\n"
        let packages = try RPMPatchLevel.parseQuery(query)
        #expect(packages.map(\.name) == ["openssl", "bash"])
        #expect(packages[0].evr == RPMVersion.EVR(epoch: 1, version: "3.0.7", release: "27.el9"))
        #expect(throws: ControlFileError.self) { try RPMPatchLevel.parseQuery("broken line\n") }

        let nevra = try #require(RPMPatchLevel.parseNEVRA("openssl-libs-1:3.0.7-28.el9_4.x86_64"))
        #expect(nevra.name == "openssl-libs" && nevra.architecture == "x86_64")
        #expect(nevra.evr == RPMVersion.EVR(epoch: 1, version: "3.0.7", release: "28.el9_4"))

        // dnf 4 and dnf 5 layouts of `updateinfo list --security`.
        let dnf4 = "RHSA-2024:2968 Important/Sec. openssl-1:3.0.7-28.el9_4.x86_64\nRHSA-2024:3306 Moderate/Sec.  less-590-4.el9_4.x86_64\n"
        let updates4 = try RPMPatchLevel.parseSecurityList(dnf4)
        #expect(updates4.map(\.name) == ["openssl", "less"])
        #expect(updates4[0].advisory == "RHSA-2024:2968" && updates4[0].severity == "Important")
        let dnf5 = "Name                Type     Severity  Package                         Issued\nFEDORA-2024-1a2b3c  security Important curl-8.6.0-8.fc40.x86_64        2024-05-01 00:00:00\n"
        let updates5 = try RPMPatchLevel.parseSecurityList(dnf5)
        #expect(updates5.map(\.name) == ["curl"])
        #expect(updates5[0].available == "8.6.0-8.fc40")

        let check = "\nbash.x86_64    5.1.8-9.el9_4    baseos\nkernel.x86_64  5.14.0-427.16.1.el9_4  baseos\nObsoleting Packages\n"
        #expect(try RPMPatchLevel.parseCheckUpdate(check).map(\.name) == ["bash", "kernel"])
    }
}
