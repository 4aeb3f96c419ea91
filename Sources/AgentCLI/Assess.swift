import Agent
import ArgumentParser
import Checks
import FoundationEssentials
import FoundationGaps
import Model
import NIS2

extension AgentCommand {
    /// The NIS 2 organisational questionnaire: walk through it, check a file, list the items.
    struct Assess: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Questionnaire organisationnel NIS 2 : répondre, vérifier un fichier (NIS 2 questionnaire: answer it, check a file).",
            discussion: """
                Sans --check ni --list, pose les questions une à une dans le terminal (choix numérotés). Chaque réponse est \
                enregistrée aussitôt (de façon atomique) dans le fichier de réponses ; tapez q pour arrêter, et relancez la \
                même commande pour reprendre où vous en étiez.

                Without --check or --list, asks the questions one by one in the terminal (numbered \
                choices). Every answer is saved at once (atomically) in the answers file; type q to stop \
                and run the same command again to resume where you stopped.
                """)

        @Option(help: ArgumentHelp("Fichier de réponses à remplir, créé s'il n'existe pas (answers file to fill in).", valueName: "file"), completion: .file())
        var answers: String = NIS2AnswersCheck().answers

        @Option(
            name: .customLong("check"),
            help: ArgumentHelp("Vérifie ce fichier de réponses et s'arrête ; code 65 s'il est invalide, 66 s'il manque (check this answers file).", valueName: "file"),
            completion: .file())
        var checkFile: String?

        @Flag(help: "Liste les points du questionnaire et s'arrête (list the questionnaire's items).")
        var list = false

        @Flag(help: "Repose toutes les questions, pas seulement celles sans réponse ; Entrée garde la réponse actuelle (ask every question again).")
        var review = false

        @Option(help: "Ne pose que les points de cette section : a … j, art20 (only this section).")
        var section: String?

        @Option(help: "Autre fichier de questionnaire, YAML (another questionnaire file).")
        var questionnaire: String?

        @Option(help: "Configuration de l'agent où prendre l'entité pour un nouveau fichier de réponses (agent configuration file).")
        var config: String = AgentConfiguration.defaultPath

        @Option(help: "Langue des textes : fr ou en (language of what people read).")
        var lang: Language = .fr

        func run() async throws {
            do {
                let loaded = try questionnaire.map { path throws(NIS2InputError) in try Questionnaire.load(path: path) } ?? Questionnaire.shipped()
                if let section, loaded.section(section) == nil {
                    let sections = loaded.sections.map(\.id).joined(separator: ", ")
                    throw InputError(
                        .usage, fr: "--section \(section) : une de ces sections est attendue : \(sections)",
                                en: "--section \(section): expected one of \(sections)")
                }
                let today = CalendarDay(Date())
                if let checkFile {
                    let file = try AnswersFile.load(path: checkFile, questionnaire: loaded, today: today)
                    let answered = loaded.items.filter { file.answers[$0.id] != nil }.count
                    emit(lang == .en
                        ? "\(checkFile): valid — \(answered) of \(loaded.items.count) questions answered\n"
                        : "\(checkFile) : valide — \(answered) question(s) sur \(loaded.items.count) renseignée(s)\n")
                    return
                }
                if list {
                    emit(listing(loaded))
                    return
                }
                let folder = URL(fileURLWithPath: answers).deletingLastPathComponent().path
                var isFolder = false
                guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder else {
                    throw InputError(
                        .missing, file: answers,
                        fr: "le dossier \(folder) n'existe pas : créez-le ou donnez --answers FICHIER",
                        en: "folder \(folder) does not exist: create it or give --answers FILE")
                }
                var walk = Walk(questionnaire: loaded, path: answers, english: lang == .en, today: today)
                try walk.start(entity: defaultEntity(), review: review, section: section)
            } catch let code as ExitCode {
                throw code
            } catch {
                throw failure(reporting: error, language: lang)
            }
        }

        func listing(_ questionnaire: Questionnaire) -> String {
            let english = lang == .en
            var lines: [String] = []
            for section in questionnaire.sections {
                lines.append("\((english ? "Art. " : "art. ") + section.article) — \(section.title.text(english: english))")
                for item in questionnaire.items where item.section == section.id {
                    lines.append("  \(item.id.padded(30)) \(item.weight.rawValue.padded(8)) \(item.title.text(english: english))")
                }
            }
            return lines.joined(separator: "\n") + "\n"
        }

        /// The entity of the agent configuration, for a new answers file; empty when there is none.
        func defaultEntity() -> AnswerEntity {
            guard FileManager.default.fileExists(atPath: config),
                  let entity = try? AgentConfiguration.load(path: config).entity else { return AnswerEntity() }
            return AnswerEntity(name: entity.name, siren: entity.siren, kind: entity.kind, population: entity.population)
        }
    }
}

/// One interactive session over the questionnaire. Reads lines from stdin (a terminal, or a pipe);
/// end of input is the same as "q": what was answered is kept.
struct Walk {
    let questionnaire: Questionnaire
    let path: String
    let english: Bool
    let today: CalendarDay
    var file = AnswersFile()

    init(questionnaire: Questionnaire, path: String, english: Bool, today: CalendarDay) {
        self.questionnaire = questionnaire
        self.path = path
        self.english = english
        self.today = today
    }

    /// Signals that the person asked to stop (q or end of input).
    struct Stop: Error {}

    func say(_ text: String) { emit(text + "\n") }

    func t(_ fr: String, _ en: String) -> String { english ? en : fr }

    /// Asks until `parse` accepts the line; throws `Stop` on "q" or end of input.
    func ask<T>(_ prompt: String, _ parse: (String) -> Result<T, Hint>) throws -> T {
        while true {
            emit(prompt + " > ")
            guard let line = readLine(strippingNewline: true) else {
                emit("\n")
                throw Stop()
            }
            let trimmed = line.trimming(.whitespaces)
            if trimmed.lowercased() == "q" { throw Stop() }
            switch parse(trimmed) {
            case .success(let value): return value
            case .failure(let hint): say("  " + hint.text)
            }
        }
    }

    struct Hint: Error { let text: String }

    mutating func start(entity: AnswerEntity, review: Bool, section: String?) throws {
        if FileManager.default.fileExists(atPath: path) {
            // A broken file is not overwritten: the person fixes it first (assess --check names the lines).
            file = try AnswersFile.load(path: path, questionnaire: questionnaire, today: today)
        } else {
            file = AnswersFile(questionnaireVersion: questionnaire.version, entity: entity)
            try save()
        }
        let scope = questionnaire.items.filter { section == nil || $0.section == section }
        let pending = scope.filter { review || file.answers[$0.id] == nil }
        let answered = questionnaire.items.filter { file.answers[$0.id] != nil }.count
        say(t("Questionnaire NIS 2 — \(questionnaire.items.count) questions, \(answered) déjà renseignée(s). Fichier : \(path)",
              "NIS 2 questionnaire — \(questionnaire.items.count) questions, \(answered) already answered. File: \(path)"))
        say(t("Chaque réponse est enregistrée tout de suite. Tapez q pour arrêter ; relancez la même commande pour reprendre.",
              "Every answer is saved at once. Type q to stop; run the same command again to resume."))
        if pending.isEmpty {
            say(t("Toutes les questions ont une réponse (--review pour les revoir).", "Every question has an answer (--review to go over them again)."))
            summary()
            return
        }
        do {
            for item in pending {
                let position = (questionnaire.items.firstIndex { $0.id == item.id } ?? 0) + 1
                try askItem(item, position: position)
            }
        } catch is Stop {
            let done = questionnaire.items.filter { file.answers[$0.id] != nil }.count
            say(t("\nArrêt. \(done) réponse(s) sur \(questionnaire.items.count) enregistrée(s) dans \(path). Relancez « cyberctl assess --answers \(path) » pour reprendre.",
                  "\nStopped. \(done) of \(questionnaire.items.count) answers saved in \(path). Run \"cyberctl assess --answers \(path)\" to resume."))
            return
        }
        say(t("\nQuestionnaire terminé. Réponses enregistrées dans \(path).", "\nQuestionnaire complete. Answers saved in \(path)."))
        summary()
    }

    func summary() {
        let results = NIS2AnswersCheck.results(of: file, questionnaire: questionnaire, target: path, today: today)
        if let sheet = ResultTable(language: english ? .en : .fr, showPasses: false).nis2Sheet(results) { say(sheet) }
    }

    mutating func askItem(_ item: QuestionnaireItem, position: Int) throws {
        let section = questionnaire.section(item.section)
        say("")
        say("[\(position)/\(questionnaire.items.count)] \(t("art.", "Art.")) \(section?.article ?? item.section) — \(section?.title.text(english: english) ?? "")")
        say(item.title.text(english: english).uppercased())
        say(item.question.text(english: english))
        say(t("Pourquoi c'est important : ", "Why it matters: ") + item.why.text(english: english))
        var references = item.recyf.map(\.label)
        if !item.regulation.isEmpty { references.append(t("règlement 2024/2690 § ", "Regulation 2024/2690 § ") + item.regulation.joined(separator: ", ")) }
        if !item.hygiene.isEmpty { references.append(t("guide d'hygiène ANSSI mesure(s) ", "ANSSI hygiene guide measure(s) ") + item.hygiene.map(String.init).joined(separator: ", ")) }
        if !references.isEmpty { say(t("Références : ", "References: ") + references.joined(separator: " · ")) }
        let current = file.answers[item.id]
        if let current { say(t("Réponse actuelle : ", "Current answer: ") + current.status.label(english: english)) }
        let statuses: [AnswerStatus] = item.allowsNotApplicable ? AnswerStatus.allCases : AnswerStatus.allCases.filter { $0 != .sansObjet }
        let choices = statuses.enumerated().map { "\($0.offset + 1)) \($0.element.label(english: english))" }
        say("  " + choices.joined(separator: "   "))
        say("  " + t("s) passer   q) enregistrer et quitter", "s) skip   q) save and quit") + (current != nil ? t("   Entrée) garder", "   Enter) keep") : ""))
        enum Choice { case status(AnswerStatus), skip, keep }
        let choice: Choice = try ask(t("Réponse", "Answer")) { text in
            if text.isEmpty, current != nil { return .success(.keep) }
            if text.lowercased() == "s" { return .success(.skip) }
            if let number = Int(text), (1...statuses.count).contains(number) { return .success(.status(statuses[number - 1])) }
            return .failure(Hint(text: t("Réponse non comprise : tapez un numéro de 1 à \(statuses.count), s ou q.",
                                         "Not understood: type a number from 1 to \(statuses.count), s or q.")))
        }
        guard case .status(let status) = choice else { return }
        // Answering the same status again starts from the current answer (Enter keeps each value).
        var answer = current.flatMap { $0.status == status ? $0 : nil } ?? Answer(itemID: item.id, status: status)
        answer.comment = current?.comment
        do {
            try details(item, into: &answer)
        } catch is Stop {
            // Stopping in the follow-up questions keeps the status already chosen.
            file.answers[item.id] = answer
            try save()
            throw Stop()
        }
        file.answers[item.id] = answer
        try save()
    }

    /// Maturity, evidence and review date, asked after the status. `answer` arrives with the values
    /// to keep on Enter (the current answer's when the status is unchanged).
    func details(_ item: QuestionnaireItem, into answer: inout Answer) throws {
        let status = answer.status
        func enter(_ kept: String?) -> String {
            kept.map { t("Entrée pour garder « \($0) »", "Enter to keep \"\($0)\"") } ?? t("Entrée pour passer", "Enter to skip")
        }
        if status == .oui || status == .partiel || status == .non {
            let kept = answer.maturity
            answer.maturity = try ask(t("Maturité de 1 (débutant) à 5 (maîtrisé), ", "Maturity from 1 (initial) to 5 (optimised), ") + enter(kept.map(String.init))) { text -> Result<Int?, Hint> in
                if text.isEmpty { return .success(kept) }
                if let value = Int(text), (1...5).contains(value) { return .success(value) }
                return .failure(Hint(text: t("Tapez un chiffre de 1 à 5, ou Entrée.", "Type a digit from 1 to 5, or Enter.")))
            }
        } else {
            answer.maturity = nil
        }
        guard status == .oui || status == .partiel else {
            answer.evidence = nil
            answer.nextReview = nil
            return
        }
        var evidence = answer.evidence ?? AnswerEvidence()
        let keptDocument = evidence.document
        evidence.document = try ask(t("Document qui le montre (délibération, procédure…), ", "Document that shows it (council decision, procedure…), ") + enter(keptDocument)) {
            .success($0.isEmpty ? keptDocument : $0)
        }
        if evidence.document != nil {
            let keptDate = evidence.date
            evidence.date = try ask(t("Date du document (AAAA-MM-JJ), ", "Date of the document (YYYY-MM-DD), ") + enter(keptDate?.description)) { text -> Result<CalendarDay?, Hint> in
                if text.isEmpty { return .success(keptDate) }
                guard let day = CalendarDay(text) else { return .failure(Hint(text: t("Date attendue au format AAAA-MM-JJ, par exemple 2026-03-12.", "Expected a date as YYYY-MM-DD, e.g. 2026-03-12."))) }
                guard day <= today else { return .failure(Hint(text: t("Cette date est dans le futur.", "This date is in the future."))) }
                return .success(day)
            }
            let keptOwner = evidence.owner
            evidence.owner = try ask(t("Responsable (fonction ou service), ", "Owner (role or department), ") + enter(keptOwner)) { .success($0.isEmpty ? keptOwner : $0) }
        } else {
            evidence = AnswerEvidence()
        }
        answer.evidence = evidence.isEmpty ? nil : evidence
        // Enter keeps a review date still ahead, otherwise proposes one year from today.
        let proposed = answer.nextReview.flatMap { $0 >= today ? $0 : nil } ?? today.adding(days: 365)
        let earliest = evidence.date
        answer.nextReview = try ask(t("Prochaine revue (AAAA-MM-JJ), Entrée pour \(proposed)", "Next review (YYYY-MM-DD), Enter for \(proposed)")) { text -> Result<CalendarDay?, Hint> in
            if text.isEmpty { return .success(proposed) }
            guard let day = CalendarDay(text) else { return .failure(Hint(text: t("Date attendue au format AAAA-MM-JJ.", "Expected a date as YYYY-MM-DD."))) }
            if let earliest, day < earliest { return .failure(Hint(text: t("La revue ne peut pas précéder la date du document (\(earliest)).", "The review cannot be before the document's date (\(earliest))."))) }
            return .success(day)
        }
    }

    /// Writes the file atomically (temporary file, then rename), mode 0640.
    mutating func save() throws {
        file.updated = today
        file.questionnaireVersion = questionnaire.version
        try AtomicFile.write(Array(file.yaml(questionnaire: questionnaire).utf8), to: path, mode: 0o640)
    }
}
