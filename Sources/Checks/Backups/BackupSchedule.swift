import FoundationEssentials
import FoundationGaps

/// The period of a job's schedule, read from a cron line or a systemd timer, from which a
/// discovered set's maximum age follows: the period plus two hours of slack for the job's own
/// run time (daily → 26 h, the example; weekly → 7 d 2 h; monthly → 31 d 2 h).
public enum BackupSchedule {
    static let slack: TimeInterval = 2 * 3600
    static let hour: TimeInterval = 3600
    static let day: TimeInterval = 86_400

    /// Maximum age for a job with this period.
    public static func maximumAge(period: TimeInterval) -> TimeInterval { period + slack }

    /// Period of a cron schedule: the five time fields or an `@` nickname. Nil when unknown (`@reboot`).
    public static func period(cron fields: [String]) -> TimeInterval? {
        if fields.count == 1 {
            switch fields[0] {
            case "@hourly": return hour
            case "@daily", "@midnight": return day
            case "@weekly": return 7 * day
            case "@monthly": return 31 * day
            case "@yearly", "@annually": return 366 * day
            default: return nil
            }
        }
        guard fields.count == 5 else { return nil }
        let (minute, hourField, dayOfMonth, _, dayOfWeek) = (fields[0], fields[1], fields[2], fields[3], fields[4])
        if hourField == "*" || hourField.hasPrefix("*/") {
            if let step = Int(hourField.dropFirst(2)), hourField.hasPrefix("*/") { return Double(step) * hour }
            if minute.hasPrefix("*/"), let step = Int(minute.dropFirst(2)) { return Double(step) * 60 }
            return hour
        }
        if hourField.contains(",") || hourField.contains("-") {
            // Several runs a day: the longest gap is at most a day; be conservative.
            return day
        }
        if dayOfMonth == "*" && dayOfWeek == "*" { return day }
        if dayOfMonth == "*", let days = weekdays(dayOfWeek) { return Double(largestGap(days)) * day }
        return 31 * day
    }

    /// Period of a systemd timer: `OnCalendar=` (shortcuts, `Mon..Fri *-*-* 22:00`, `*-*-01 03:00`)
    /// or `OnUnitActiveSec=`/`OnUnitInactiveSec=` (`1d`, `12h`). Nil when unknown.
    public static func period(onCalendar: String?, onUnitActive: String?) -> TimeInterval? {
        if let interval = onUnitActive, let seconds = systemdTimeSpan(interval) { return seconds }
        guard let calendar = onCalendar?.trimming(.whitespaces).lowercased(), !calendar.isEmpty else { return nil }
        switch calendar {
        case "minutely": return 60
        case "hourly": return hour
        case "daily": return day
        case "weekly": return 7 * day
        case "monthly": return 31 * day
        case "quarterly": return 92 * day
        case "semiannually", "semi-annually": return 183 * day
        case "yearly", "annually": return 366 * day
        default: break
        }
        var parts = calendar.split(separator: " ").map(String.init)
        var days: [Int]? = nil
        if let first = parts.first, first.first?.isLetter == true {
            days = weekdays(first.replacingAll("..", with: "-"))
            parts.removeFirst()
        }
        var datePart = "*-*-*"
        var timePart = parts.first ?? "00:00"
        if parts.count >= 2 {
            datePart = parts[0]
            timePart = parts[1]
        } else if let only = parts.first, only.contains("-") {
            datePart = only
            timePart = "00:00"
        }
        let hourField = timePart.split(separator: ":").first.map(String.init) ?? "0"
        if hourField == "*" || hourField.contains("/") { return hour }
        if hourField.contains(",") { return day }
        let dateFields = datePart.split(separator: "-").map(String.init)
        if dateFields.count == 3, dateFields[2] != "*" { return 31 * day }
        if let days { return Double(largestGap(days)) * day }
        return day
    }

    /// Seconds in a systemd time span (`1d`, `12h`, `30min`, `1w`, `3600`).
    static func systemdTimeSpan(_ text: String) -> TimeInterval? {
        let cleaned = text.lowercased().replacingAll(" ", with: "")
            .replacingAll("min", with: "m").replacingAll("sec", with: "s")
            .replacingAll("hours", with: "h").replacingAll("hour", with: "h")
            .replacingAll("days", with: "d").replacingAll("day", with: "d")
            .replacingAll("weeks", with: "w").replacingAll("week", with: "w")
        if let seconds = Double(cleaned) { return seconds }
        return BackupUnits.duration(cleaned)
    }

    static let dayNames = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]

    /// Days of the week (0 = Sunday) in a cron or systemd weekday field (`1-5`, `mon,wed,fri`, `Sat`).
    static func weekdays(_ field: String) -> [Int]? {
        var days = Set<Int>()
        func day(_ text: Substring) -> Int? {
            let lowered = text.lowercased()
            if let value = Int(lowered) { return value == 7 ? 0 : (0...6).contains(value) ? value : nil }
            return dayNames[String(lowered.prefix(3))]
        }
        for item in field.split(separator: ",") {
            let bounds = item.split(separator: "-", maxSplits: 1)
            if bounds.count == 2 {
                guard let low = day(bounds[0]), let high = day(bounds[1]) else { return nil }
                var current = low
                days.insert(current)
                while current != high {
                    current = (current + 1) % 7
                    days.insert(current)
                }
            } else {
                if item == "*" { return Array(0...6) }
                guard let value = day(item) else { return nil }
                days.insert(value)
            }
        }
        return days.isEmpty ? nil : days.sorted()
    }

    /// The largest number of days between two consecutive run days, over the week.
    static func largestGap(_ days: [Int]) -> Int {
        guard let first = days.first else { return 7 }
        var gap = 0
        for (index, value) in days.enumerated() {
            let next = index + 1 < days.count ? days[index + 1] : first + 7
            gap = max(gap, next - value)
        }
        return gap
    }
}
