/// Case- and accent-insensitive keys for comparing names (regions, places), in place of Foundation's
/// `folding(options: [.caseInsensitive, .diacriticInsensitive], locale:)`, which needs ICU's data.
public enum Folding {
    /// Precomposed Latin letters (Latin-1 Supplement and Latin Extended-A) with their base letter:
    /// those Unicode decomposes into a letter and combining marks. Ø, Đ, Ł, Œ, Æ, ß… have no
    /// canonical decomposition and stay as they are, as with Foundation; case folding turns ß into "ss",
    /// ſ into "s" and ŉ into "ʼn".
    private static let bases: [Unicode.Scalar: String] = {
        var table: [Unicode.Scalar: String] = ["ß": "ss", "ſ": "s", "ŉ": "ʼn"]
        let groups: [(String, String)] = [
            ("a", "ÀÁÂÃÄÅàáâãäåĀāĂăĄą"), ("c", "ÇçĆćĈĉĊċČč"), ("d", "Ďď"), ("e", "ÈÉÊËèéêëĒēĔĕĖėĘęĚě"),
            ("g", "ĜĝĞğĠġĢģ"), ("h", "Ĥĥ"), ("i", "ÌÍÎÏìíîïĨĩĪīĬĭĮįİ"), ("j", "Ĵĵ"), ("k", "Ķķ"), ("l", "ĹĺĻļĽľ"),
            ("n", "ÑñŃńŅņŇň"), ("o", "ÒÓÔÕÖòóôõöŌōŎŏŐő"), ("r", "ŔŕŖŗŘř"), ("s", "ŚśŜŝŞşŠš"), ("t", "ŢţŤť"),
            ("u", "ÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲų"), ("w", "Ŵŵ"), ("y", "ÝýÿŶŷŸ"), ("z", "ŹźŻżŽž"),
        ]
        for (base, letters) in groups { for scalar in letters.unicodeScalars { table[scalar] = base } }
        return table
    }()

    /// `text` lowercased, with the accents of Latin letters dropped (precomposed or combining,
    /// U+0300–U+036F): "Île-de-France" → "ile-de-france".
    public static func caseAndAccentInsensitive(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if (0x300...0x36F).contains(scalar.value) { continue }
            if let base = bases[scalar] { out.append(base) } else { out.unicodeScalars.append(scalar) }
        }
        return out.lowercased()
    }
}
