import Foundation
import TestSupport
import Testing

/// The Debian packages (packaging/deb/build.sh) built from the built executables, checked by lintian, then
/// installed with apt into minimal Debian 12 and 13 roots (debootstrap --variant=minbase bookworm, trixie), run there,
/// upgraded and purged.
///
/// Executables: `$CYBERCTL_DEB_BUILD_DIR` (`.ci/run` sets it to its release build), else `.build/release` — a
/// release build in any case: a debug build needs the Swift runtime's shared libraries, which build.sh refuses.
/// Each root is made once and kept in `<scratch>/deb-cache/<codename>-minbase` (`.build/deb-cache`, or
/// `$CYBERCTL_DEB_CACHE`), then copied for each run, so a re-run downloads only what apt installs. Needs root (debootstrap, chroot, mount), debootstrap, lintian, debhelper,
/// unshare and the network to Debian's mirror: without them the test fails and says what is missing
/// (`CYBERCTL_DEB_TEST=off` disables it, shown as skipped, for a developer's non-root run).
@Suite("Debian packages (build, lintian, apt install in Debian 12 and 13)", .serialized)
struct DebianPackageTests {
    static let mirror = ProcessInfo.processInfo.environment["CYBERCTL_DEBIAN_MIRROR"] ?? "http://deb.debian.org/debian"

    /// The folder holding the executables to package: `$CYBERCTL_DEB_BUILD_DIR`, else `.build/release`. Not the
    /// debug build: it links the Swift runtime's shared libraries, which no Debian package provides.
    static func buildDirectory() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["CYBERCTL_DEB_BUILD_DIR"], !explicit.isEmpty { return explicit }
        let release = BuiltBinary.packageRoot + "/.build/release"
        guard FileManager.default.isExecutableFile(atPath: release + "/cyberctl-agent"), FileManager.default.isExecutableFile(atPath: release + "/cyberctl") else {
            throw TestSupportError("no release build in \(release): run swift build -c release, or set CYBERCTL_DEB_BUILD_DIR")
        }
        return release
    }

    /// What the test needs and is missing, in one message (empty when everything is there).
    static func missingRequirements() -> [String] {
        var missing: [String] = []
        if geteuid() != 0 { missing.append("root (debootstrap, chroot and mount need it; CI runs as root)") }
        for tool in ["debootstrap", "lintian", "dh", "dpkg-shlibdeps", "unshare", "chroot", "systemctl"] where !Command.exists(tool) {
            missing.append("\(tool) (apt install debootstrap lintian debhelper dpkg-dev util-linux systemd)")
        }
        return missing
    }

    @Test(
        "Both packages build and pass lintian; cyberctl-agent installs with apt in Debian 12 and 13, scans, signs, upgrades, purges",
        .disabled(if: ProcessInfo.processInfo.environment["CYBERCTL_DEB_TEST"] == "off", "CYBERCTL_DEB_TEST=off"))
    func buildLintInstall() throws {
        let missing = Self.missingRequirements()
        try #require(missing.isEmpty, "the Debian package test cannot run here: missing \(missing.joined(separator: "; "))")
        let buildDirectory = try Self.buildDirectory()
        let agent = buildDirectory + "/cyberctl-agent"
        let version = try Command.run(agent, ["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!version.isEmpty)
        let arch = try Command.run("dpkg", ["--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // 1. Build.
        let out = try TemporaryDirectory(prefix: "cyberctl-deb")
        let build = try Command.run(
            BuiltBinary.packageRoot + "/packaging/deb/build.sh", [buildDirectory, out.path], timeout: 1800)
        try #require(!build.timedOut && build.output.exitCode == 0, "build.sh: \(build.output.stderr.suffix(4000))")
        let agentDeb = out.url("cyberctl-agent_\(version)-1_\(arch).deb")
        let rssiDeb = out.url("cyberctl_\(version)-1_\(arch).deb")
        try #require(FileManager.default.fileExists(atPath: agentDeb) && FileManager.default.fileExists(atPath: rssiDeb), "\(build.output.stdout)")

        // 2. What the packages hold and declare.
        let agentFiles = try Command.run("dpkg-deb", ["--contents", agentDeb]).stdout
        for path in [
            "./usr/bin/cyberctl-agent", "./usr/share/cyberctl/profiles/default.yaml", "./usr/share/cyberctl/profiles/nis2/scope.yaml",
            "./usr/share/cyberctl/profiles/distro-info/debian.csv", "./etc/cyberctl/agent.yaml", "./lib/systemd/system/cyberctl-agent.service",
            "./lib/systemd/system/cyberctl-agent.timer", "./lib/systemd/system/cyberctl-push.service", "./lib/systemd/system/cyberctl-push.timer",
            "./usr/lib/sysusers.d/cyberctl.conf", "./usr/lib/tmpfiles.d/cyberctl-agent.conf", "./usr/share/man/man1/cyberctl-agent.1.gz",
            "./usr/share/bash-completion/completions/cyberctl-agent", "./usr/share/zsh/vendor-completions/_cyberctl-agent",
            "./usr/share/fish/vendor_completions.d/cyberctl-agent.fish", "./usr/share/doc/cyberctl-agent/copyright",
            "./usr/share/doc/cyberctl-agent/changelog.Debian.gz",
        ] {
            #expect(agentFiles.contains(" \(path)\n"), "cyberctl-agent lacks \(path)")
        }
        let rssiFiles = try Command.run("dpkg-deb", ["--contents", rssiDeb]).stdout
        for path in [
            "./usr/bin/cyberctl", "./lib/systemd/system/cyberctl-collect.service", "./lib/systemd/system/cyberctl-alerts.service",
            "./lib/systemd/system/cyberctl-alerts.timer", "./usr/share/man/man1/cyberctl.1.gz", "./usr/share/bash-completion/completions/cyberctl",
        ] {
            #expect(rssiFiles.contains(" \(path)\n"), "cyberctl lacks \(path)")
        }
        // Depends from the executables' real libraries (dpkg-shlibdeps; libyaml since Sources/YAML), libcurl (dlopen) and the sysusers runner.
        let depends = try Command.run("dpkg-deb", ["--field", agentDeb, "Depends"]).stdout
        for library in ["libc6", "libssl3", "libcurl4", "libunbound8", "libpsl5", "libyaml-0-2", "systemd | systemd-standalone-sysusers"] {
            #expect(depends.contains(library), "Depends lacks \(library): \(depends)")
        }
        #expect(!depends.contains("libsqlite3"), "the agent links no SQLite: \(depends)")
        let rssiDepends = try Command.run("dpkg-deb", ["--field", rssiDeb, "Depends"]).stdout
        #expect(rssiDepends.contains("cyberctl-agent (= \(version)-1)") && rssiDepends.contains("libsqlite3"), "\(rssiDepends)")
        let conffiles = try Command.run("dpkg-deb", ["--info", agentDeb, "conffiles"]).stdout
        #expect(conffiles.split(separator: "\n").contains("/etc/cyberctl/agent.yaml"), "\(conffiles)")

        // 3. lintian: no error, no warning (remaining tags are overridden, each with its reason).
        let lintian = try Command.run("lintian", ["--fail-on", "error,warning", "--tag-display-limit", "0", agentDeb, rssiDeb], timeout: 1200)
        #expect(!lintian.timedOut && lintian.output.exitCode == 0, "lintian:\n\(lintian.output.stdout)\(lintian.output.stderr)")

        // 4-7. In each Debian release the package is for: install, run, enrol and sign, upgrade, purge.
        for (codename, release) in Self.releases {
            try checkInstall(codename: codename, release: release, agentDeb: agentDeb, version: version, arch: arch, out: out)
        }
    }

    /// Debian releases the agent package must install and run on (codename, VERSION_ID): glibc 2.36 at least.
    static let releases = [("bookworm", "12"), ("trixie", "13")]

    /// apt install of `agentDeb` into a fresh minimal root of `codename`, the agent run there, the user, modes,
    /// conffile and units checked, then an upgrade that keeps a local edit and a purge.
    func checkInstall(codename: String, release: String, agentDeb: String, version: String, arch: String, out: TemporaryDirectory) throws {
        // 4. A fresh root, apt install of the package, the agent run inside.
        let root = try Self.freshRoot(codename)
        try FileManager.default.copyItem(atPath: agentDeb, toPath: root.url("tmp/" + URL(fileURLWithPath: agentDeb).lastPathComponent))
        let update = try Self.inRoot(root, ["apt-get", "update", "-q"], timeout: 600)
        try #require(update.output.exitCode == 0, "\(codename): apt-get update in the root (network to \(Self.mirror)?): \(update.output.stderr)")
        let install = try Self.inRoot(root, ["apt-get", "install", "-y", "-q", "--no-install-recommends", "./tmp/cyberctl-agent_\(version)-1_\(arch).deb"], timeout: 1200)
        try #require(install.output.exitCode == 0, "\(codename): apt install: \(install.output.stdout.suffix(3000))\(install.output.stderr)")
        #expect(install.output.stdout.contains("systemctl enable --now cyberctl-agent.timer"), "postinst says what is left to do")

        let reported = try Self.inRoot(root, ["cyberctl-agent", "--version"], timeout: 60)
        #expect(reported.output.exitCode == 0 && reported.output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == version, "\(reported.output)")
        // The default configuration is the shipped conffile: the scan proves it parses, and finds the shipped profiles.
        let scan = try Self.inRoot(root, ["sh", "-c", "cd /tmp && cyberctl-agent scan --format json --fail-on never"], timeout: 900)
        #expect(scan.output.exitCode == 0, "\(codename): scan: \(scan.output.stderr.suffix(3000))")
        let report = try #require(try JSONSerialization.jsonObject(with: scan.output.stdoutData) as? [String: Any], "\(scan.output.stdout.prefix(2000))")
        #expect(report["schema"] as? String == "cyberctl.report/1")
        let agentPart = try #require(report["agent"] as? [String: Any])
        #expect(agentPart["version"] as? String == version && agentPart["profile"] as? String == "default", "\(agentPart)")
        let results = try #require(report["results"] as? [[String: Any]])
        #expect(!results.isEmpty)
        // The root's own identity (from its /etc/os-release), not the host's.
        let os = try #require((report["host"] as? [String: Any])?["os"] as? [String: Any])
        #expect(os["id"] as? String == "debian" && os["version"] as? String == release, "\(codename): \(os)")
        // patch.os-eol reads the shipped distro-info tables from /usr/share/cyberctl: a verdict, not an error.
        let endOfLife = results.filter { ($0["code"] as? String) == "patch.os-eol" }
        #expect(!endOfLife.isEmpty && endOfLife.allSatisfy { ($0["status"] as? String) != "error" }, "\(endOfLife)")

        // The system user (sysusers), the state folder (tmpfiles), the conffile, the units installed and not enabled.
        let user = try Self.inRoot(root, ["getent", "passwd", "cyberctl"], timeout: 60).output.stdout
        let fields = user.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":", omittingEmptySubsequences: false)
        try #require(fields.count == 7, "\(codename): no cyberctl user: \(user)")
        #expect((Int(fields[2]) ?? 1000) < 1000, "a system user: \(user)")
        #expect(fields[5] == "/var/lib/cyberctl" && fields[6].hasSuffix("nologin"), "\(user)")
        let state = try Self.inRoot(root, ["stat", "-c", "%U:%G %a", "/var/lib/cyberctl", "/etc/cyberctl", "/etc/cyberctl/agent.yaml"], timeout: 60)
        #expect(state.output.stdout == "cyberctl:cyberctl 750\nroot:root 755\nroot:root 644\n", "\(state.output)")
        let conffile = try Self.inRoot(root, ["dpkg-query", "--showformat=${Conffiles}", "--show", "cyberctl-agent"], timeout: 60)
        #expect(conffile.output.stdout.contains("/etc/cyberctl/agent.yaml "), "\(conffile.output)")
        for unit in ["cyberctl-agent.service", "cyberctl-agent.timer", "cyberctl-push.service", "cyberctl-push.timer"] {
            let text = try String(contentsOfFile: root.url("lib/systemd/system/" + unit), encoding: .utf8)
            #expect(text.contains("[Unit]"), "\(unit)")
        }
        let agentUnit = try String(contentsOfFile: root.url("lib/systemd/system/cyberctl-agent.service"), encoding: .utf8)
        #expect(agentUnit.contains("\nExecStart=/usr/bin/cyberctl-agent scan "))
        for timer in ["cyberctl-agent.timer", "cyberctl-push.timer"] {
            let enabled = try Command.run("systemctl", ["--root=\(root.path)", "is-enabled", timer])
            #expect(enabled.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "disabled", "\(timer): \(enabled.stdout)\(enabled.stderr)")
        }

        // 5. Enrolment and a signed scan, as the service runs it: the key made by enroll in the root, the certificate
        // issued by the RSSI's cyberctl (the package's own executable) on this host, agent.yaml edited by the
        // admin, the scan run as the cyberctl user in /var/lib/cyberctl; the signature checked by cyberctl verify.
        let pki = out.url("pki-\(codename)")
        let rssi = try Self.buildDirectory() + "/cyberctl"
        let initialised = try Command.run(rssi, ["pki", "init", "--dir", pki, "--name", "RSSI mutualisé de test"])
        try #require(initialised.exitCode == 0, "\(initialised.stderr)")
        let enrolled = try Self.inRoot(
            root, ["cyberctl-agent", "enroll", "--entity-name", "Commune de Plouzané", "--siren", "212900195", "--host", "srv-mairie"], timeout: 60)
        try #require(enrolled.output.exitCode == 0, "\(codename): enroll: \(enrolled.output.stderr)")
        let issued = try Command.run(rssi, ["pki", "issue", root.url("etc/cyberctl/agent.csr"), "--dir", pki, "--out", root.url("etc/cyberctl/agent.crt")])
        try #require(issued.exitCode == 0, "\(issued.stderr)")
        let configured = try Self.inRoot(root, [
            "sh", "-c",
            """
            chown cyberctl:cyberctl /etc/cyberctl/agent.key && cat >> /etc/cyberctl/agent.yaml <<'EOF'
            # édition locale
            entity:
              name: Commune de Plouzané
              siren: "212900195"
            signing:
              key: /etc/cyberctl/agent.key
              certificate: /etc/cyberctl/agent.crt
            EOF
            """,
        ], timeout: 60)
        try #require(configured.output.exitCode == 0, "\(configured.output.stderr)")
        let signed = try Self.inRoot(root, [
            "setpriv", "--reuid", "cyberctl", "--regid", "cyberctl", "--init-groups", "--",
            "sh", "-c", "mkdir -p /var/lib/cyberctl/reports && cd /var/lib/cyberctl/reports && cyberctl-agent scan --fail-on never --out signed.json",
        ], timeout: 900)
        #expect(signed.output.exitCode == 0, "\(codename): signed scan as cyberctl: \(signed.output.stderr.suffix(3000))")
        let verified = try Command.run(rssi, ["verify", root.url("var/lib/cyberctl/reports/signed.json"), "--ca", pki + "/ca.pem"])
        #expect(verified.exitCode == 0, "\(codename): verify: \(verified.stdout)\(verified.stderr)")

        // 6. Upgrade to a rebuilt package (the same one repacked as revision 2): the admin's edit of the conffile survives.
        let unpacked = out.url("unpacked-\(codename)")
        try #require(try Command.run("dpkg-deb", ["--raw-extract", agentDeb, unpacked]).exitCode == 0)
        let control = unpacked + "/DEBIAN/control"
        let controlText = try String(contentsOfFile: control, encoding: .utf8)
        try controlText.replacingOccurrences(of: "\nVersion: \(version)-1\n", with: "\nVersion: \(version)-2\n").write(toFile: control, atomically: true, encoding: .utf8)
        let rebuilt = root.url("tmp/cyberctl-agent_\(version)-2_\(arch).deb")
        let repack = try Command.run("dpkg-deb", ["--root-owner-group", "--build", unpacked, rebuilt])
        try #require(repack.exitCode == 0, "\(repack.stderr)")
        let upgrade = try Self.inRoot(root, ["apt-get", "install", "-y", "-q", "./tmp/cyberctl-agent_\(version)-2_\(arch).deb"], timeout: 600)
        #expect(upgrade.output.exitCode == 0, "\(upgrade.output.stdout)\(upgrade.output.stderr)")
        let installed = try Self.inRoot(root, ["dpkg-query", "--showformat=${Version}", "--show", "cyberctl-agent"], timeout: 60).output.stdout
        #expect(installed == "\(version)-2")
        let edited = try String(contentsOfFile: root.url("etc/cyberctl/agent.yaml"), encoding: .utf8)
        #expect(edited.contains("# édition locale\n") && edited.hasSuffix("  certificate: /etc/cyberctl/agent.crt\n"), "\(edited.suffix(300))")

        // 7. Purge: the executable, data, units and conffile go; the state folder and the system user stay.
        let purge = try Self.inRoot(root, ["apt-get", "purge", "-y", "-q", "cyberctl-agent"], timeout: 600)
        #expect(purge.output.exitCode == 0, "\(purge.output.stderr)")
        for gone in ["usr/bin/cyberctl-agent", "usr/share/cyberctl", "etc/cyberctl/agent.yaml", "lib/systemd/system/cyberctl-agent.timer", "usr/lib/sysusers.d/cyberctl.conf"] {
            #expect(!FileManager.default.fileExists(atPath: root.url(gone)), "\(codename): left after purge: /\(gone)")
        }
        #expect(FileManager.default.fileExists(atPath: root.url("var/lib/cyberctl/reports/signed.json")))
        #expect(try Self.inRoot(root, ["getent", "passwd", "cyberctl"], timeout: 60).output.exitCode == 0)
    }

    /// A copy of the cached minimal root of Debian `codename`, made with debootstrap the first time.
    static func freshRoot(_ codename: String) throws -> TemporaryDirectory {
        let scratch = URL(fileURLWithPath: try buildDirectory()).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().path
        let cache = ProcessInfo.processInfo.environment["CYBERCTL_DEB_CACHE"] ?? scratch + "/deb-cache"
        let pristine = cache + "/\(codename)-minbase"
        if !FileManager.default.fileExists(atPath: pristine + "/usr/bin/apt-get") {
            // Made aside and renamed: an interrupted debootstrap never passes for a root.
            let partial = pristine + ".partial"
            try? FileManager.default.removeItem(atPath: partial)
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            let made = try Command.run("debootstrap", ["--variant=minbase", codename, partial, mirror], timeout: 3600)
            try #require(!made.timedOut && made.output.exitCode == 0, "debootstrap (network to \(mirror)?): \(made.output.stdout.suffix(3000))\(made.output.stderr)")
            try FileManager.default.moveItem(atPath: partial, toPath: pristine)
        }
        let root = try TemporaryDirectory(prefix: "cyberctl-\(codename)")
        let copy = try Command.run("cp", ["-a", pristine + "/.", root.path], timeout: 600)
        try #require(copy.output.exitCode == 0, "\(copy.output.stderr)")
        // The host's resolver, for apt inside the root.
        try? FileManager.default.removeItem(atPath: root.url("etc/resolv.conf"))
        try FileManager.default.copyItem(atPath: "/etc/resolv.conf", toPath: root.url("etc/resolv.conf"))
        return root
    }

    /// Runs `command` chrooted in `root`, with /proc mounted in a private mount namespace (gone with the
    /// process: nothing stays mounted, even when the test is killed).
    static func inRoot(_ root: TemporaryDirectory, _ command: [String], timeout: Double) throws -> Command.BoundedOutput {
        let environment = [
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8", "HOME": "/root",
        ]
        return try Command.run(
            "unshare",
            ["--mount", "--propagation", "private", "--", "sh", "-c", "mount -t proc proc \"$0/proc\" && exec chroot \"$0\" \"$@\"", root.path]
                + command,
            timeout: timeout, environment: environment)
    }
}
