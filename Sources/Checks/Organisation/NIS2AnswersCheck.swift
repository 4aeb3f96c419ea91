import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// `org.nis2`: the entity's answers to the NIS 2 organisational questionnaire, one result per item
/// (rule code `org.nis2.<section>.<item>`, domain `organisation`).
///
/// Declarations become statuses: oui → pass (warn once its `next_review` date is past), partiel →
/// warn, non → fail, ne sais pas → fail (not done until someone knows), sans objet → skip, no answer
/// → error ("organisation non évaluée": it weighs and earns nothing, and lowers coverage). Severity is
/// the item's weight. The answers file is read through the context's root (it belongs to the audited
/// system); the questionnaire is cyberctl's own data (`Profiles/nis2/`). A missing answers file gives
/// one `error` (`org.nis2.answers`, the cause) and every item unanswered (`error`): a profile that runs
/// `org.nis2` expects the questionnaire, and a missing file weighs at least as much as a blank one, so
/// answering never scores worse than not answering (issue 17). An unreadable one (permission, a folder,
/// a link to nothing) gives one `error` with the reason; an invalid one one `error` naming every problem
/// with its line.
public struct NIS2AnswersCheck: ConfigurableCheck {
    public static let id = "org.nis2"
    public static let domain = Domain.organisation

    /// The answers file, absolute path inside the audited system.
    public var answers = "/etc/cyberctl/nis2-answers.yaml"
    /// Another questionnaire file on this machine; nil for the one shipped with cyberctl.
    public var questionnaire: String?

    public init() {}

    public init(answers: String, questionnaire: String? = nil) {
        self.answers = answers
        self.questionnaire = questionnaire
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case answers, questionnaire
    }

    public static let parameterNames = CodingKeys.allCases.map(\.rawValue)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        answers = try container.decodeIfPresent(String.self, forKey: .answers) ?? "/etc/cyberctl/nis2-answers.yaml"
        questionnaire = try container.decodeIfPresent(String.self, forKey: .questionnaire)
        guard answers.hasPrefix("/") else {
            throw DecodingError.dataCorruptedError(
                forKey: .answers, in: container, debugDescription: "expected an absolute path, got \"\(answers)\"")
        }
    }

    /// Code of the result about the answers file itself (missing, unreadable, invalid).
    public static let answersCode = "org.nis2.answers"
    /// Code of the result when the questionnaire cannot be loaded.
    public static let questionnaireCode = "org.nis2.questionnaire"

    public func run(_ context: CheckContext) async -> [CheckResult] {
        let stopwatch = Stopwatch()
        let loaded: Questionnaire
        do throws(NIS2InputError) {
            if let questionnaire { loaded = try Questionnaire.load(path: questionnaire) } else { loaded = try Questionnaire.shipped() }
        } catch {
            return [CheckResult(
                check: Self.id, target: questionnaire ?? NIS2DataLocator.questionnaireFile, code: Self.questionnaireCode,
                status: .error, severity: .medium, reason: Self.text(of: error), durationMs: stopwatch.elapsedMs)]
        }
        let text: String
        do {
            text = try context.root.readText(answers, limit: 4 << 20)
        } catch {
            if case .notFound = error, let target = Self.danglingLinkTarget(answers, root: context.root) {
                return [CheckResult(
                    check: Self.id, target: answers, code: Self.answersCode, status: .error, severity: .medium,
                    evidence: ["failure": "dangling link"], references: Catalogue.rule(Self.answersCode)?.references ?? [],
                    reason: .init(
                        fr: "\(answers) est un lien symbolique vers \(target), qui n'existe pas",
                        en: "\(answers) is a symbolic link to \(target), which does not exist"),
                    durationMs: stopwatch.elapsedMs)]
            }
            if case .notFound = error {
                let cause = CheckResult(
                    check: Self.id, target: answers, code: Self.answersCode, status: .error, severity: .medium,
                    evidence: ["failure": "missing"],
                    references: Catalogue.rule(Self.answersCode)?.references ?? [],
                    reason: .init(
                        fr: "organisation non évaluée : pas de fichier de réponses en \(answers) ; lancez `cyberctl assess --answers \(answers)`",
                        en: "organisation not evaluated: no answers file at \(answers); run `cyberctl assess --answers \(answers)`"),
                    durationMs: stopwatch.elapsedMs)
                // The questionnaire as a blank file would give it: every item unanswered.
                let blank = Self.results(of: AnswersFile(), questionnaire: loaded, target: answers, today: CalendarDay(context.clock.now()))
                return [cause] + blank
            }
            return [CheckResult(
                check: Self.id, target: answers, code: Self.answersCode, status: .error, severity: .medium,
                evidence: ["failure": "read"], references: Catalogue.rule(Self.answersCode)?.references ?? [],
                reason: error.localizedText, durationMs: stopwatch.elapsedMs)]
        }
        let today = CalendarDay(context.clock.now())
        let file: AnswersFile
        do {
            file = try AnswersFile.parse(text, file: answers, questionnaire: loaded, today: today)
        } catch {
            return [CheckResult(
                check: Self.id, target: answers, code: Self.answersCode, status: .error, severity: .medium,
                evidence: [
                    "failure": "invalid",
                    "problems": .array(error.problems.map { .string($0.description) }),
                ],
                references: Catalogue.rule(Self.answersCode)?.references ?? [],
                reason: Self.text(of: error), durationMs: stopwatch.elapsedMs)]
        }
        return Self.results(
            of: file, questionnaire: loaded, target: answers, today: today, category: Self.category(of: file.entity),
            durationMs: stopwatch.elapsedMs)
    }

    /// The problems of an answers file or questionnaire, `file:line: message` per line, in French and English (NIS 2's
    /// own messages, `NIS2InputError`, carry both).
    static func text(of error: NIS2InputError) -> LocalizedText {
        LocalizedText(fr: error.description(english: false), en: error.description(english: true))
    }

    /// The target of `path` when it is a symbolic link whose target does not exist (an answers file
    /// that was meant to be there, not a questionnaire never filled in); nil otherwise.
    static func danglingLinkTarget(_ path: String, root: FileSystemRoot) -> String? {
        let parent = PathText.deletingLastComponent(path)
        guard let folder = try? root.resolve(parent.isEmpty ? "/" : parent) else { return nil }
        let link = root.hostPath(folder == "/" ? "/" + PathText.lastComponent(path) : folder + "/" + PathText.lastComponent(path))
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else { return nil }
        return target
    }

    /// The NIS 2 category of the entity the answers file names, by the shipped applicability rules;
    /// nil when the file does not say enough or the rules cannot be read.
    public static func category(of entity: AnswerEntity) -> NIS2Category? {
        guard let kind = entity.kind, let rules = try? ScopeRules.shipped() else { return nil }
        return rules.decide(ScopeFacts(kind: kind, population: entity.population, hasCommuneOver30000: entity.hasCommuneOver30000)).category
    }

    /// One result per questionnaire item, in questionnaire order.
    /// - Parameter category: the entity's NIS 2 category when known: each result then says whether
    ///   the measure is an obligation for it (`mandatory`): every item for an essential entity, the
    ///   items not reserved to essential entities (ReCyF EI/EE) for an important one, none otherwise.
    public static func results(
        of file: AnswersFile, questionnaire: Questionnaire, target: String, today: CalendarDay,
        category: NIS2Category? = nil, durationMs: Int = 0
    ) -> [CheckResult] {
        questionnaire.items.map { item in
            let section = questionnaire.section(item.section)
            var evidence: [String: JSONValue] = [
                "section": .string(item.section),
                "article": .string(section?.article ?? item.section),
                "requiredFor": .string(item.essentialOnly ? "EE" : "EI/EE"),
            ]
            if !item.technical.isEmpty { evidence["technicalPrefixes"] = .strings(item.technical) }
            switch category {
            case .essentielle?: evidence["mandatory"] = true
            case .importante?: evidence["mandatory"] = .bool(!item.essentialOnly)
            case .nonRegulee?: evidence["mandatory"] = false
            case .selonActivite?, nil: break
            }
            if let category { evidence["entityCategory"] = .string(category.rawValue) }
            let severity = Severity(rawValue: item.weight.rawValue) ?? .medium
            let references = item.referenceIDs(section: section)
            guard let answer = file.answers[item.id] else {
                evidence["declared"] = "sans réponse"
                evidence["unanswered"] = true
                return CheckResult(
                    check: id, target: target, code: item.code, status: .error, severity: severity, evidence: evidence,
                    references: references,
                    reason: .init(fr: "non évalué : pas de réponse à cette question dans \(target)", en: "not evaluated: no answer to this item in \(target)"),
                    durationMs: durationMs)
            }
            evidence["declared"] = .string(answer.status.rawValue)
            if let maturity = answer.maturity { evidence["maturity"] = .int(maturity) }
            if let document = answer.evidence?.document { evidence["document"] = .string(document) }
            if let date = answer.evidence?.date { evidence["evidenceDate"] = .string(date.description) }
            if let owner = answer.evidence?.owner { evidence["owner"] = .string(owner) }
            if let comment = answer.comment { evidence["comment"] = .string(comment) }
            var overdue = false
            if let review = answer.nextReview {
                evidence["nextReview"] = .string(review.description)
                if review < today {
                    overdue = true
                    evidence["reviewOverdue"] = true
                    evidence["daysOverdue"] = .int(review.days(until: today))
                }
            }
            let status: Status
            var reason: LocalizedText?
            switch answer.status {
            case .oui: status = overdue ? .warn : .pass
            case .partiel: status = .warn
            case .non: status = .fail
            case .neSaisPas:
                status = .fail
                evidence["unknown"] = true
            case .sansObjet:
                status = .skip
                reason = LocalizedText(fr: "déclaré sans objet", en: "declared not applicable")
            }
            return CheckResult(
                check: id, target: target, code: item.code, status: status, severity: severity, evidence: evidence,
                references: references, reason: reason, durationMs: durationMs)
        }
    }
}
