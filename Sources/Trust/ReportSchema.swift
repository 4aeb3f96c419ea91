import FoundationEssentials

/// The report schema `cyberctl.report/1` (schemas/cyberctl.report-1.schema.json), embedded in the
/// binary by scripts/embed-schema.sh so an installed cyberctl needs no checkout.
public enum ReportSchema {
    /// The compiled schema. The embedded text is checked against the file by the test suite.
    public static let compiled: JSONSchema = {
        do {
            return try JSONSchema(text: text)
        } catch {
            preconditionFailure("the embedded report schema does not compile: \(error)")
        }
    }()
}
