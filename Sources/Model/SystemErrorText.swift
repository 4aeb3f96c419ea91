#if canImport(Glibc)
import Glibc
#endif

/// The text of an `errno` value for the user: glibc's `strerror` (C locale, English) for `--lang en`, and in French
/// for the errors a file operation commonly meets, worded as cyberctl's other file messages are ("permission
/// refusée", "n'est pas un dossier"). An errno without a French wording keeps the system's text.
public enum SystemErrorText {
    /// `strerror(code)`: `Permission denied`, `Read-only file system`.
    public static func english(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// `code` in French when it is a common file-operation error; otherwise `english(code)`.
    public static func french(_ code: Int32) -> String {
        switch code {
        case EACCES: "permission refusée"
        case EPERM: "opération non permise"
        case EROFS: "système de fichiers en lecture seule"
        case ENOENT: "fichier ou dossier absent"
        case ENOTDIR: "n'est pas un dossier"
        case EISDIR: "est un dossier"
        case ENOSPC: "plus de place sur le périphérique"
        case EDQUOT: "quota de disque dépassé"
        case EFBIG: "fichier trop volumineux"
        case ELOOP: "trop de niveaux de liens symboliques"
        case ENAMETOOLONG: "nom de fichier trop long"
        case EEXIST: "le fichier existe déjà"
        case EXDEV: "lien entre systèmes de fichiers différents"
        case EBUSY: "périphérique ou ressource occupé"
        case ETXTBSY: "fichier texte occupé"
        case EIO: "erreur d'entrée-sortie"
        case EMFILE, ENFILE: "trop de fichiers ouverts"
        case EINVAL: "argument invalide"
        case ENXIO: "périphérique ou adresse inexistant"
        default: english(code)
        }
    }
}
