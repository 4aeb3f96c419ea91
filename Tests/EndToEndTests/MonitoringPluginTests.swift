import Foundation
import Testing
import TestSupport

/// `cyberctl plugin` end to end: the built binary run on a fixture image for a passing, a warning, a failing
/// and an erring certificate, and with bad arguments; its output read by the Perl `Monitoring::Plugin`
/// library, then the same command lines run as service checks by a real Nagios 4 whose state for each
/// service is read back from its status.dat.
@Suite(.serialized) struct MonitoringPluginTests {
    /// One service: its name, the plugin's arguments, the state expected.
    struct Service {
        let name: String
        let arguments: [String]
        let exitCode: Int32
        let word: String
    }

    /// An image with four certificate files (valid one year, expiring in 20 days, expired, not a certificate)
    /// issued by a test CA, and one profile per file (`cert.files`, no discovery).
    static func services(in directory: TemporaryDirectory) throws -> [Service] {
        let factory = try CertificateFactory(folder: directory.url("pki"))
        let day: TimeInterval = 86_400
        let authority = try factory.issue(name: "ca", subject: "/CN=Autorite de test", isCA: true)
        let files: [(String, String?)] = [
            ("valide", try factory.issue(name: "valide", subject: "/CN=portail.mairie.test", issuer: authority).pem),
            ("bientot", try factory.issue(name: "bientot", subject: "/CN=intranet.mairie.test", notAfter: Date().addingTimeInterval(20 * day + 3600), issuer: authority).pem),
            ("expire", try factory.issue(
                name: "expire", subject: "/CN=ancien.mairie.test", notBefore: Date().addingTimeInterval(-400 * day),
                notAfter: Date().addingTimeInterval(-3 * day + 3600), issuer: authority).pem),
            ("casse", nil),
        ]
        var services: [Service] = []
        for (name, pem) in files {
            try directory.write("image/etc/ssl/\(name).pem", pem ?? "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
            let profile = try directory.write("profiles/\(name).yaml", """
                name: plugin-\(name)
                checks:
                  cert.files:
                    discover: false
                    paths: [/etc/ssl/\(name).pem]
                """)
            services.append(Service(
                name: name, arguments: ["plugin", "--root", directory.url("image"), "--profile", profile, "--only", "certificates"],
                exitCode: ["valide": 0, "bientot": 1, "expire": 2, "casse": 3][name]!,
                word: ["valide": "OK", "bientot": "WARNING", "expire": "CRITICAL", "casse": "UNKNOWN"][name]!))
        }
        services.append(Service(
            name: "arguments", arguments: ["plugin", "--root", directory.url("image"), "-w", "30,5"], exitCode: 3, word: "UNKNOWN"))
        return services
    }

    @Test func exitCodesAndOutputReadByMonitoringPlugin() throws {
        let directory = try TemporaryDirectory()
        for service in try Self.services(in: directory) {
            let output = try BuiltBinary.run(service.arguments)
            #expect(output.exitCode == service.exitCode, "\(service.name): \(output.stdout) \(output.stderr)")
            let parsed = try PerlReference.parse(output.stdout)
            #expect(parsed.state == service.word, "\(service.name): \(output.stdout)")
            switch service.name {
            case "valide":
                #expect(parsed.items.contains { $0.label == "days_left:/etc/ssl/valide.pem" && Int($0.value).map { (363...366).contains($0) } == true }, "\(parsed.items)")
                #expect(parsed.items.contains { $0.label == "score:certificates" && $0.value == "100" })
            case "bientot":
                #expect(parsed.items.contains { $0.label == "days_left:/etc/ssl/bientot.pem" && $0.value == "20" }, "\(parsed.items)")
                #expect(output.stdout.contains("\n[WARNING] cert.expiry /etc/ssl/bientot.pem : Expiration du certificat (warn, medium) ; 20 j restants"))
            case "expire":
                #expect(parsed.items.contains { $0.label == "days_left:/etc/ssl/expire.pem" && $0.value == "-3" }, "\(parsed.items)")
            case "casse":
                // Nothing measured, nothing made up: no days-left figure.
                #expect(!parsed.items.contains { $0.label.hasPrefix("days_left") })
                #expect(output.stdout.contains("\n[UNKNOWN] cert.file /etc/ssl/casse.pem"))
            default:
                #expect(output.stdout.hasPrefix("CYBERCTL UNKNOWN: -w « 30,5 » : une plage est attendue"), "\(output.stdout)")
                #expect(output.stderr.contains("Usage:"))
            }
        }
        // -w/-c on days left: 300-odd days under a 400-day warning.
        let directory2 = try TemporaryDirectory()
        let valide = try #require(try Self.services(in: directory2).first)
        let warned = try BuiltBinary.run(valide.arguments + ["-w", "400:", "-c", "10:", "--lang", "en"])
        #expect(warned.exitCode == 1, "\(warned.stdout)")
        #expect(warned.stdout.contains("[WARNING] days-left /etc/ssl/valide.pem = "))
        // --help is not an error.
        #expect(try BuiltBinary.run(["plugin", "--help"]).exitCode == 0)
    }

    /// Nagios 4 in the foreground, with a private nagios.cfg in `folder`: one host, one service per
    /// `services`, checked every second (interval_length=1), status.dat rewritten every second.
    static func startNagios(services: [Service], folder: String) throws -> BackgroundServer {
        let binary = try BuiltBinary.path
        func quoted(_ argument: String) -> String { "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var objects = """
            define timeperiod {
              timeperiod_name always
              alias always
              sunday 00:00-24:00
              monday 00:00-24:00
              tuesday 00:00-24:00
              wednesday 00:00-24:00
              thursday 00:00-24:00
              friday 00:00-24:00
              saturday 00:00-24:00
            }
            define command {
              command_name nothing
              command_line /bin/true
            }
            define contact {
              contact_name nobody
              host_notifications_enabled 0
              service_notifications_enabled 0
              host_notification_period always
              service_notification_period always
              host_notification_options n
              service_notification_options n
              host_notification_commands nothing
              service_notification_commands nothing
            }
            define host {
              host_name mairie
              address 127.0.0.1
              check_command nothing
              max_check_attempts 1
              check_period always
              contacts nobody
              notification_period always
              notifications_enabled 0
              active_checks_enabled 0
            }

            """
        for service in services {
            objects += """
                define command {
                  command_name cyberctl-\(service.name)
                  command_line \(([binary] + service.arguments).map(quoted).joined(separator: " "))
                }
                define service {
                  host_name mairie
                  service_description cyberctl-\(service.name)
                  check_command cyberctl-\(service.name)
                  max_check_attempts 1
                  check_interval 1
                  retry_interval 1
                  check_period always
                  contacts nobody
                  notification_period always
                  notifications_enabled 0
                }

                """
        }
        try objects.write(toFile: "\(folder)/objects.cfg", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(folder)/spool", withIntermediateDirectories: true)
        let user = String(cString: getpwuid(getuid())!.pointee.pw_name)
        let group = String(cString: getgrgid(getgid())!.pointee.gr_name)
        let configuration = """
            log_file=\(folder)/nagios.log
            cfg_file=\(folder)/objects.cfg
            object_cache_file=\(folder)/objects.cache
            precached_object_file=\(folder)/objects.precache
            status_file=\(folder)/status.dat
            status_update_interval=1
            lock_file=\(folder)/nagios.lock
            temp_file=\(folder)/nagios.tmp
            temp_path=\(folder)
            check_result_path=\(folder)/spool
            state_retention_file=\(folder)/retention.dat
            retain_state_information=0
            command_file=\(folder)/nagios.cmd
            check_external_commands=0
            nagios_user=\(user)
            nagios_group=\(group)
            interval_length=1
            max_service_check_spread=1
            check_result_reaper_frequency=1
            service_inter_check_delay_method=n
            execute_host_checks=0
            enable_notifications=0
            enable_event_handlers=0
            process_performance_data=0
            use_syslog=0
            service_check_timeout=60

            """
        try configuration.write(toFile: "\(folder)/nagios.cfg", atomically: true, encoding: .utf8)
        let verify = try Command.run("nagios4", ["-v", "\(folder)/nagios.cfg"])
        guard verify.exitCode == 0 else { throw TestSupportError("nagios4 -v: \(verify.stdout)") }
        return try BackgroundServer("nagios4", ["\(folder)/nagios.cfg"], folder: folder, name: "nagios") {
            FileManager.default.fileExists(atPath: "\(folder)/status.dat")
        }
    }

    /// The `servicestatus` blocks of a Nagios status.dat, keyed by service_description.
    static func serviceStatus(_ path: String) -> [String: [String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var services: [String: [String: String]] = [:]
        for block in text.components(separatedBy: "servicestatus {").dropFirst() {
            var fields: [String: String] = [:]
            for line in block.prefix(while: { $0 != "}" }).split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard let equals = trimmed.firstIndex(of: "=") else { continue }
                fields[String(trimmed[..<equals])] = String(trimmed[trimmed.index(after: equals)...])
            }
            if let name = fields["service_description"] { services[name] = fields }
        }
        return services
    }

    @Test func nagiosReadsEachStateAsAServiceCheck() throws {
        let directory = try TemporaryDirectory()
        let services = try Self.services(in: directory)
        let folder = try directory.makeDirectory("nagios")
        let nagios = try Self.startNagios(services: services, folder: folder)
        defer { nagios.stop() }
        // Poll status.dat until every service has been checked (a generous deadline, never a measure).
        let deadline = Date().addingTimeInterval(120)
        var status: [String: [String: String]] = [:]
        while Date() < deadline {
            status = Self.serviceStatus("\(folder)/status.dat")
            if services.allSatisfy({ status["cyberctl-\($0.name)"]?["has_been_checked"] == "1" }) { break }
            usleep(200_000)
        }
        for service in services {
            let fields = try #require(status["cyberctl-\(service.name)"], "\(service.name) not in status.dat; nagios: \(nagios.output)")
            #expect(fields["has_been_checked"] == "1", "\(service.name): \(fields)")
            // current_state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
            #expect(fields["current_state"] == String(service.exitCode), "\(service.name): \(fields)")
            #expect(fields["plugin_output"]?.hasPrefix("CYBERCTL \(service.word): ") == true, "\(service.name): \(fields)")
        }
        // Not asserted (timing): how long Nagios saw each check run.
        print("Nagios check_execution_time:", services.map { "\($0.name)=\(status["cyberctl-\($0.name)"]?["check_execution_time"] ?? "?")" })
        let expired = try #require(status["cyberctl-expire"])
        #expect(expired["performance_data"]?.contains("'days_left:/etc/ssl/expire.pem'=-3") == true, "\(expired)")
        #expect(expired["long_plugin_output"]?.contains("[CRITICAL] cert.expiry /etc/ssl/expire.pem") == true, "\(expired)")
    }
}
