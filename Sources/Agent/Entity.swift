import Model

/// The local authority a host belongs to, as the agent configuration or the command line states it.
public struct Entity: Codable, Sendable, Equatable {
    /// Official name (`Commune de Plouzané`).
    public var name: String?
    /// SIREN, 9 digits (INSEE's register of legal units).
    public var siren: String?
    /// INSEE code of the commune (5 characters, `29212`, `2A004`).
    public var insee: String?
    /// `commune`, `cc`, `ca`, `cu`, `metropole`, `departement`, `region`, `syndicat`.
    public var kind: String?
    /// Inhabitants (population municipale).
    public var population: Int?
    /// Département code (`29`, `2A`, `974`).
    public var departement: String?
    public var region: String?

    public init(
        name: String? = nil, siren: String? = nil, insee: String? = nil, kind: String? = nil,
        population: Int? = nil, departement: String? = nil, region: String? = nil
    ) {
        self.name = name
        self.siren = siren
        self.insee = insee
        self.kind = kind
        self.population = population
        self.departement = departement
        self.region = region
    }

    /// Largest population accepted: 100 million inhabitants, above any French local authority (the
    /// report schema's bound, so that a report the agent writes is never refused for it).
    public static let maximumPopulation = 100_000_000

    /// Kinds of local authority cyberctl knows.
    public static let kinds = ["commune", "cc", "ca", "cu", "metropole", "departement", "region", "syndicat"]

    /// One invalid field: its key, the value as written, what a valid value looks like.
    public struct FieldProblem: Sendable, Equatable {
        /// `siren`, `insee`, `kind`, `population` or `departement`.
        public let key: String
        /// The value, quoted when it is text (`"123456789"`, `-5`).
        public let value: String
        /// What was expected (`9 digits with a valid Luhn check digit`), in both languages.
        public let expected: LocalizedText
    }

    /// Checks every field that is present.
    /// - Returns: one problem per invalid field, in the order siren, insee, kind, population, departement;
    ///   empty when valid.
    public func fieldProblems() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let siren, !Identifiers.isValidSIREN(siren) {
            problems.append(FieldProblem(key: "siren", value: "\"\(siren)\"", expected: LocalizedText(fr: "9 chiffres avec une clé de Luhn valide", en: "9 digits with a valid Luhn check digit")))
        }
        if let insee, !Identifiers.isValidINSEE(insee) {
            problems.append(FieldProblem(
                key: "insee", value: "\"\(insee)\"", expected: LocalizedText(
                    fr: "un code commune de 5 caractères comme 29212, 2A004 ou 97411",
                    en: "a 5-character commune code such as 29212, 2A004 or 97411")))
        }
        if let kind, !Self.kinds.contains(kind) {
            problems.append(FieldProblem(key: "kind", value: "\"\(kind)\"", expected: LocalizedText(
                    fr: "l'un de \(Self.kinds.joined(separator: ", "))", en: "one of \(Self.kinds.joined(separator: ", "))")))
        }
        if let population, !(0...Self.maximumPopulation).contains(population) {
            problems.append(FieldProblem(key: "population", value: "\(population)", expected: LocalizedText(fr: "une valeur de 0 à \(Self.maximumPopulation)", en: "0 to \(Self.maximumPopulation)")))
        }
        if let departement, !Identifiers.isValidDepartement(departement) {
            problems.append(FieldProblem(key: "departement", value: "\"\(departement)\"", expected: LocalizedText(fr: "01–95, 2A, 2B ou 971–976", en: "01–95, 2A, 2B or 971–976")))
        }
        return problems
    }

    /// Checks every field that is present.
    /// - Returns: one message per problem (`siren "123456789": expected 9 digits …`: field, value, what
    ///   is expected), in both languages; empty when valid.
    public func problems() -> [LocalizedText] {
        fieldProblems().map {
            LocalizedText(fr: "\($0.key) \($0.value) : il faut \($0.expected.fr)", en: "\($0.key) \($0.value): expected \($0.expected.en)")
        }
    }
}


import NIS2