/// Every check cyberctl knows, by id. A new family adds its type here.
public enum CheckRegistry {
    public static let all: [any ConfigurableCheck.Type] = [
        CertificateFilesCheck.self,
        TLSEndpointCheck.self,
        PackagesCheck.self,
        BackupSetsCheck.self,
        NIS2AnswersCheck.self,
        DomainExposureCheck.self,
    ]

    /// The check type with this id, or nil.
    public static func type(withID id: String) -> (any ConfigurableCheck.Type)? {
        all.first { $0.id == id }
    }
}
