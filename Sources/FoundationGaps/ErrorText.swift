#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// A short reason for an error from the file system, in place of Foundation's `localizedDescription`
/// (not part of FoundationEssentials, and its sentences come from Foundation's localised tables).
public enum ErrorText {
    /// For a `CocoaError` or `POSIXError` carrying a POSIX code: the C library's text for it
    /// (`strerror`, "Permission denied"); for a `CocoaError` without one: its code's name as Foundation
    /// describes the error; for any other error: its description.
    public static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        if let cocoa = error as? CocoaError {
            if let posix = cocoa.underlying as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
            return String(describing: cocoa)
        }
        return String(describing: error)
    }
}
