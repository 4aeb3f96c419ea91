import FoundationEssentials
import Model
import NIS2

/// The last run of a systemd service as `systemctl show` reports it. cyberctl only reads these
/// properties; it never starts, stops or reloads a unit.
public struct SystemdJobStatus: Sendable, Equatable {
    /// The properties asked for, in the order `systemctl show --property=` takes them.
    public static let properties = [
        "Id", "LoadState", "ActiveState", "SubState", "Result", "ExecMainStatus", "ExecMainCode",
        "ExecMainStartTimestamp", "ExecMainExitTimestamp",
    ]

    /// `Key=Value` lines of `systemctl show`.
    public let values: [String: String]

    public init(showOutput: String) {
        var values: [String: String] = [:]
        for line in showOutput.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        self.values = values
    }

    /// The arguments of the read-only query for `unit`.
    public static func arguments(unit: String) -> [String] {
        ["show", "--no-pager", "--property=" + properties.joined(separator: ","), "--", unit]
    }

    /// A rule verdict on the last run.
    public struct Verdict: Sendable, Equatable {
        public var status: Status
        public var reason: LocalizedText?
        public var evidence: [String: JSONValue]
    }

    /// `backup.job-status`: fail when systemd records a failed last run (`Result` other than
    /// `success`, or a non-zero `ExecMainStatus`); skip when the unit has not run since boot
    /// (systemd keeps no older result); error when systemd does not know the unit.
    public func verdict() -> Verdict {
        var evidence: [String: JSONValue] = [:]
        for key in ["LoadState", "ActiveState", "SubState", "Result", "ExecMainStartTimestamp", "ExecMainExitTimestamp"] {
            if let value = values[key], !value.isEmpty { evidence[Self.camel(key)] = .string(value) }
        }
        let exitStatus = values["ExecMainStatus"].flatMap { Int($0) }
        if let exitStatus { evidence["execMainStatus"] = .int(exitStatus) }
        if values["LoadState"] == "not-found" {
            return Verdict(status: .error, reason: LocalizedText(
                fr: "systemd ne connaît pas cette unité (LoadState=not-found)", en: "systemd does not know this unit (LoadState=not-found)"), evidence: evidence)
        }
        guard let result = values["Result"] else {
            return Verdict(status: .error, reason: LocalizedText(
                fr: "systemctl show n'a pas donné de propriété Result", en: "systemctl show gave no Result property"), evidence: evidence)
        }
        let started = values["ExecMainStartTimestamp"].map { !$0.isEmpty && $0 != "n/a" } ?? false
        if result != "success" {
            return Verdict(status: .fail, reason: nil, evidence: evidence)
        }
        if let exitStatus, exitStatus != 0 {
            return Verdict(status: .fail, reason: nil, evidence: evidence)
        }
        if !started {
            return Verdict(
                status: .skip, reason: LocalizedText(
                    fr: "aucune exécution de cette unité depuis le dernier démarrage : systemd ne garde pas de résultat plus ancien",
                    en: "no run of this unit since the last boot: systemd keeps no older result"), evidence: evidence)
        }
        return Verdict(status: .pass, reason: nil, evidence: evidence)
    }

    /// `ExecMainStatus` → `execMainStatus`.
    static func camel(_ key: String) -> String { key.prefix(1).lowercased() + key.dropFirst() }
}
