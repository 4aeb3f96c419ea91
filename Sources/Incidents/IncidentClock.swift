import Agent
import Foundation
import Model

/// Times of incident follow-up: parsing what people type, showing it in Europe/Paris local time, and
/// the legal deadlines that run from the moment of awareness.
///
/// Arithmetic (documented choice):
/// - "24 hours" and "72 hours" (NIS 2 Art. 23(4)(a)(b), GDPR Art. 33(1)) are elapsed hours: 86 400 and
///   259 200 seconds added to the instant of awareness. Across a daylight-saving change the local
///   wall-clock time of the deadline therefore moves by one hour (aware 2026-03-28 10:00 CET → early
///   warning 2026-03-29 11:00 CEST), which is what a duration in hours means.
/// - "one month" (NIS 2 Art. 23(4)(d)) is a calendar month in Europe/Paris, through Foundation's
///   `Calendar` (`date(byAdding: .month, value: 1, …)`): same local wall-clock time on the same day of
///   the next month, or on its last day when that day does not exist (Jan 31 → Feb 28/29). A local
///   time that does not exist on the target day (spring-forward gap) is moved forward by Foundation.
public enum IncidentClock {
    /// Europe/Paris, the legal time of metropolitan France.
    public static let paris = TimeZone(identifier: "Europe/Paris")!

    /// Gregorian calendar in Europe/Paris.
    public static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = paris
        return calendar
    }()

    public static let earlyWarningHours = 24
    public static let notificationHours = 72
    public static let cnilHours = 72

    /// How far ahead of the present a typed time may be (clock skew between machines, a minute typed
    /// rounded up): 5 minutes. Beyond, `--aware-at`, `--at` of a log entry and `--at` of a closing are refused.
    public static let futureTolerance: TimeInterval = 300

    /// Refuses `instant` when it is more than `futureTolerance` after `now`: a report cannot have been sent,
    /// nor an incident handled or noticed, later than the present.
    /// - Throws: `InputError(.usage)` naming `option`, the time given and the present.
    public static func requireNotFuture(_ instant: Date, now: Date, option: String) throws(InputError) {
        guard instant > now.addingTimeInterval(futureTolerance) else { return }
        throw InputError(
            .usage,
            fr: "\(option) \(local(instant)) est dans le futur (il est \(local(now))) ; indiquez l'heure à laquelle c'est arrivé",
            en: "\(option) \(local(instant)) is in the future (now \(local(now))); give the time it happened")
    }

    /// `instant` + `hours` elapsed hours.
    public static func adding(hours: Int, to instant: Date) -> Date { instant.addingTimeInterval(TimeInterval(hours) * 3600) }

    /// `instant` + one calendar month in Europe/Paris (clamped to the month's last day).
    public static func addingOneMonth(to instant: Date) -> Date {
        calendar.date(byAdding: .month, value: 1, to: instant)!
    }

    /// Parses a time typed on the command line:
    /// - ISO 8601 with an offset or `Z`: `2026-03-29T01:30:00+01:00`, `2026-03-29T01:30Z` (seconds optional,
    ///   `T` or a space between date and time);
    /// - `YYYY-MM-DD HH:MM` (or `YYYY-MM-DDTHH:MM`) without offset, read as Europe/Paris local time. A
    ///   local time that does not exist (the hour skipped on the last Sunday of March) or exists twice
    ///   (the hour repeated on the last Sunday of October) is refused with a message asking for an offset.
    /// - Throws: `InputError(.usage)` saying which forms are accepted.
    public static func parse(_ raw: String, option: String = "time") throws(InputError) -> Date {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let expected = "expected ISO 8601 with an offset (2026-03-29T14:05:00+02:00, 2026-03-29T12:05Z) or \"YYYY-MM-DD HH:MM\" in Europe/Paris time"
        let attendu = "attendu : ISO 8601 avec décalage (2026-03-29T14:05:00+02:00, 2026-03-29T12:05Z) ou « AAAA-MM-JJ HH:MM » en heure de Paris"
        let pattern = #/^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|z|[+-]\d{2}:?\d{2})?$/#
        guard let match = text.wholeMatch(of: pattern) else { throw InputError(.usage, fr: "\(option) « \(raw) » : \(attendu)", en: "\(option) \"\(raw)\": \(expected)") }
        let year = Int(match.1)!, month = Int(match.2)!, day = Int(match.3)!
        let hour = Int(match.4)!, minute = Int(match.5)!, second = match.6.map { Int($0)! } ?? 0
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else {
            throw InputError(.usage, fr: "\(option) « \(raw) » : date ou heure inexistante ; \(attendu)", en: "\(option) \"\(raw)\": no such date or time; \(expected)")
        }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        guard let wall = utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)),
              utc.component(.day, from: wall) == day else {
            throw InputError(.usage, fr: "\(option) « \(raw) » : date inexistante ; \(attendu)", en: "\(option) \"\(raw)\": no such date; \(expected)")
        }
        if let zone = match.7 {
            if zone == "Z" || zone == "z" { return wall }
            let digits = zone.dropFirst().filter(\.isNumber)
            let hours = Int(digits.prefix(2))!, minutes = Int(digits.suffix(2))!
            guard hours <= 14, minutes < 60 else {
                throw InputError(
                    .usage, fr: "\(option) « \(raw) » : décalage \(zone) hors limites ; \(attendu)", en: "\(option) \"\(raw)\": offset \(zone) out of range; \(expected)")
            }
            let offset = (hours * 3600 + minutes * 60) * (zone.first == "-" ? -1 : 1)
            return wall.addingTimeInterval(TimeInterval(-offset))
        }
        // Local Paris time: every instant whose Paris offset maps it back to this wall-clock time.
        let offsets = Set([-86_400.0, 0, 86_400].map { paris.secondsFromGMT(for: wall.addingTimeInterval($0)) })
        let candidates = offsets.map { wall.addingTimeInterval(TimeInterval(-$0)) }
            .filter { paris.secondsFromGMT(for: $0) == Int(wall.timeIntervalSince($0)) }
            .sorted()
        if candidates.isEmpty {
            let example = text.replacingOccurrences(of: " ", with: "T") + "+01:00"
            throw InputError(
                .usage,
                fr: "\(option) « \(raw) » : cette heure n'existe pas à Paris (on avance les horloges cette nuit-là) ; donnez un décalage, par exemple \(example)",
                en: "\(option) \"\(raw)\": this local time does not exist in Europe/Paris (clocks go forward that night); give an offset, e.g. \(example)")
        }
        if candidates.count > 1 {
            throw InputError(
                .usage,
                fr: "\(option) « \(raw) » : cette heure existe deux fois à Paris (on recule les horloges cette nuit-là) ; donnez le décalage : +02:00 pour la première, +01:00 pour la seconde",
                en: "\(option) \"\(raw)\": this local time happens twice in Europe/Paris (clocks go back that night); give the offset: +02:00 for the first, +01:00 for the second")
        }
        return candidates[0]
    }

    /// `2026-03-29 14:05 CEST` — Europe/Paris local time with its abbreviation (CET/CEST).
    public static func local(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let summer = paris.isDaylightSavingTime(for: date)
        return String(format: "%04d-%02d-%02d %02d:%02d ", c.year!, c.month!, c.day!, c.hour!, c.minute!) + (summer ? "CEST" : "CET")
    }

    /// `2026-03-29T14:05:00+02:00` — ISO 8601 with the Europe/Paris offset, for JSON.
    public static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = paris
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// "dans 3 j 4 h" / "in 3 d 4 h" or "EN RETARD de 5 h 10 min" / "OVERDUE by 5 h 10 min".
    public static func remaining(from now: Date, to due: Date, english: Bool) -> String {
        let seconds = Int(due.timeIntervalSince(now))
        let span = span(seconds: seconds, english: english)
        if seconds < 0 { return english ? "OVERDUE by \(span)" : "EN RETARD de \(span)" }
        return english ? "in \(span)" : "dans \(span)"
    }

    /// A duration as people read it, sign ignored: "3 j 4 h", "5 h 10 min", "0 min" ("d" for days in English);
    /// minutes only under a day, truncated to the minute.
    public static func span(seconds: Int, english: Bool) -> String {
        let magnitude = abs(seconds) / 60
        let days = magnitude / 1440, hours = (magnitude % 1440) / 60, minutes = magnitude % 60
        var parts: [String] = []
        if days > 0 { parts.append(english ? "\(days) d" : "\(days) j") }
        if hours > 0 { parts.append("\(hours) h") }
        if days == 0 && (minutes > 0 || parts.isEmpty) { parts.append("\(minutes) min") }
        return parts.joined(separator: " ")
    }
}

/// A report an incident may require, in the order they fall due.
public enum IncidentStage: String, Codable, Sendable, CaseIterable {
    /// NIS 2 Art. 23(4)(a): early warning, 24 h after awareness.
    case earlyWarning = "early-warning"
    /// NIS 2 Art. 23(4)(b): incident notification, 72 h after awareness.
    case notification
    /// NIS 2 Art. 23(4)(d)/(e): final report one month after the notification, or a progress report
    /// then if the incident is still being handled (final report one month after it is handled).
    case final
    /// GDPR Art. 33(1): notification of a personal-data breach to the CNIL, 72 h after awareness.
    case cnil

    public func title(english: Bool) -> String {
        switch self {
        case .earlyWarning: english ? "NIS 2 early warning" : "Alerte précoce NIS 2"
        case .notification: english ? "NIS 2 incident notification" : "Notification d'incident NIS 2"
        case .final: english ? "NIS 2 final report" : "Rapport final NIS 2"
        case .cnil: english ? "CNIL personal-data breach notification" : "Notification de violation de données à la CNIL"
        }
    }

    /// Legal basis of the stage.
    public var basis: String {
        switch self {
        case .earlyWarning: "NIS 2 art. 23(4)(a)"
        case .notification: "NIS 2 art. 23(4)(b)"
        case .final: "NIS 2 art. 23(4)(d)-(e)"
        case .cnil: "RGPD art. 33(1)"
        }
    }
}

/// One legal deadline of an incident.
public struct IncidentDeadline: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Sent on time (a log entry with this stage exists, at or before `due`).
        case submitted
        /// Sent after `due`: the deadline was missed. For the CNIL (GDPR Art. 33(1)) the notification must
        /// then give the reasons for the delay.
        case late
        /// Not sent, `due` not yet reached.
        case pending
        /// Not sent, `due` passed.
        case overdue
    }

    /// Whether the report was sent, on time or late.
    public var isSent: Bool { state == .submitted || state == .late }

    public var stage: IncidentStage
    /// What is due: the stage's title, or the progress report when the final report is not yet possible.
    public var title: String
    public var basis: String
    public var due: Date
    /// `due` in Europe/Paris local time.
    public var dueLocal: String
    public var state: State
    public var submittedAt: Date?
    /// "dans 5 h" / "EN RETARD de 2 h" while not sent; "envoyé avec 3 j de retard" / "sent 3 d late" when
    /// `late`; empty when sent on time.
    public var remaining: String
    /// Seconds between `due` and `submittedAt` when `late`; nil otherwise.
    public var lateBy: Int?
    /// How the date was computed (what it runs from).
    public var computedFrom: String
}

extension Incident {
    /// The deadlines this incident has, at `now`.
    ///
    /// - NIS 2 stages when `significant` is `yes` or `unknown` (until it is known not to be significant,
    ///   the clock is treated as running). The final report runs from the notification as sent (its log
    ///   entry), or from the 72 h deadline while it has not been sent. If the incident is still open at
    ///   that date a progress report is due then; once closed after that date, the final report is due
    ///   one month after closing (Art. 23(4)(e)).
    /// - CNIL when `personalData`.
    public func deadlines(now: Date, english: Bool = false) -> [IncidentDeadline] {
        var deadlines: [IncidentDeadline] = []
        let aware = english ? "awareness" : "prise de connaissance"
        func add(_ stage: IncidentStage, _ due: Date, title: String? = nil, from: String, sentAfter: Date? = nil) {
            // With `sentAfter`, only a report sent from then on counts (earlier ones were progress reports).
            let sent = sentAfter.map { start in log.filter { $0.stage == stage && $0.at >= start }.map(\.at).min() } ?? submissions[stage]
            let state: IncidentDeadline.State
            let remaining: String
            var lateBy: Int?
            if let sent {
                if sent > due {
                    state = .late
                    lateBy = Int(sent.timeIntervalSince(due))
                    let span = IncidentClock.span(seconds: lateBy!, english: english)
                    remaining = english ? "sent \(span) late" : "envoyé avec \(span) de retard"
                } else {
                    state = .submitted
                    remaining = ""
                }
            } else {
                state = now > due ? .overdue : .pending
                remaining = IncidentClock.remaining(from: now, to: due, english: english)
            }
            deadlines.append(IncidentDeadline(
                stage: stage, title: title ?? stage.title(english: english), basis: stage.basis, due: due, dueLocal: IncidentClock.local(due),
                state: state, submittedAt: sent, remaining: remaining, lateBy: lateBy, computedFrom: from))
        }
        if significant != .no {
            add(.earlyWarning, IncidentClock.adding(hours: IncidentClock.earlyWarningHours, to: awareAt), from: "\(aware) + 24 h")
            let notificationDue = IncidentClock.adding(hours: IncidentClock.notificationHours, to: awareAt)
            add(.notification, notificationDue, from: "\(aware) + 72 h")
            let base = submissions[.notification] ?? notificationDue
            let baseText = submissions[.notification] != nil
                ? (english ? "notification sent + 1 month" : "notification envoyée + 1 mois")
                : (english ? "notification deadline + 1 month (provisional until the notification is logged as sent)" : "échéance de notification + 1 mois (provisoire tant que l'envoi n'est pas consigné)")
            let finalDue = IncidentClock.addingOneMonth(to: base)
            if let closedAt, closedAt > finalDue {
                add(.final, IncidentClock.addingOneMonth(to: closedAt),
                    from: english ? "incident handled (closed) + 1 month; a progress report was due \(IncidentClock.local(finalDue))"
                        : "fin de traitement (clôture) + 1 mois ; un rapport d'avancement était dû le \(IncidentClock.local(finalDue))", sentAfter: closedAt)
            } else if closedAt == nil {
                add(.final, finalDue,
                    title: english ? "NIS 2 final report, or a progress report if the incident is still ongoing then"
                        : "Rapport final NIS 2, ou rapport d'avancement si l'incident est encore en cours à cette date",
                    from: baseText)
            } else {
                add(.final, finalDue, from: baseText)
            }
        }
        if personalData {
            add(.cnil, IncidentClock.adding(hours: IncidentClock.cnilHours, to: awareAt), from: "\(aware) + 72 h")
        }
        let order = IncidentStage.allCases
        return deadlines.sorted { ($0.due, order.firstIndex(of: $0.stage)!) < ($1.due, order.firstIndex(of: $1.stage)!) }
    }

    /// The deadlines not yet sent whose date is past or falls before `now + window` seconds (`incident due`,
    /// `territory alerts`), closed incidents included: their final report stays due.
    public func pendingDeadlines(now: Date, within window: TimeInterval, english: Bool = false) -> [IncidentDeadline] {
        deadlines(now: now, english: english).filter { !$0.isSent && $0.due <= now.addingTimeInterval(window) }
    }
}
