import FoundationEssentials

/// French public identifiers.
public enum Identifiers {
    /// A SIREN is 9 digits whose Luhn checksum is 0 (INSEE). La Poste's 356000000 is the documented
    /// exception to the Luhn rule.
    public static func isValidSIREN(_ value: String) -> Bool {
        guard value.count == 9, value.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        if value == "356000000" { return true }
        return luhnChecksum(value) % 10 == 0
    }

    /// `text` without the spaces people type between the digit groups of a SIREN (`212 900 195`; also the no-break
    /// spaces U+00A0 and U+202F that French typography and spreadsheets put there, and tabs) when what remains is a
    /// valid SIREN (`isValidSIREN`); otherwise `text` unchanged, so that an error shows it as typed. Only spaces are
    /// removed: `212-900-195` or `212.900.195` stay refused.
    public static func normalizedSIREN(_ text: String) -> String {
        let spaces: Set<Character> = [" ", "\t", "\u{00A0}", "\u{202F}"]
        let compact = String(text.filter { !spaces.contains($0) })
        return isValidSIREN(compact) ? compact : text
    }

    /// Luhn sum of a digit string (every second digit from the right doubled).
    static func luhnChecksum(_ digits: String) -> Int {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            var digit = Int(String(character))!
            if index % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum
    }

    /// INSEE commune code (code officiel géographique): 2 digits, 2A or 2B, then 3 digits; overseas 97x/98x then 2 digits.
    public static func isValidINSEE(_ value: String) -> Bool {
        let characters = Array(value)
        guard characters.count == 5, characters.allSatisfy(\.isASCII) else { return false }
        let department = String(characters[0..<2])
        let rest = characters[2...]
        if department == "2A" || department == "2B" { return rest.allSatisfy(\.isNumber) }
        return characters.allSatisfy(\.isNumber) && department != "00"
    }

    /// Département codes: 01–19, 21–95, 2A, 2B, 971–976.
    public static func isValidDepartement(_ value: String) -> Bool {
        if value == "2A" || value == "2B" { return true }
        guard value.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(value) else { return false }
        if value.count == 2 { return (1...95).contains(number) && number != 20 }
        if value.count == 3 { return (971...976).contains(number) }
        return false
    }
}
