import CPSL

/// The Public Suffix List (https://publicsuffix.org) through the system libpsl: the newer of the list built
/// into libpsl and Debian's `publicsuffix` data (`/usr/share/publicsuffix/public_suffix_list.dafsa`),
/// ICANN and private sections both, as `psl_latest` loads them.
final class PublicSuffixList: @unchecked Sendable {
    /// The list loaded once for the process; nil when libpsl could load none (no built-in list, no data file).
    /// libpsl's lookups only read the context, so sharing it between tasks is safe.
    static let shared: PublicSuffixList? = psl_latest(nil).map(PublicSuffixList.init)

    private let context: OpaquePointer

    private init(_ context: OpaquePointer) { self.context = context }

    /// The organisational domain of `name` (RFC 7489 §3.2): its public suffix plus one label, e.g.
    /// `mairie.ville-exemple.gouv.fr` → `ville-exemple.gouv.fr`, `www.exemple.co.uk` → `exemple.co.uk`.
    /// `name` is lower-case ASCII (IDNs in their xn-- form) without a final dot; nil when `name` is itself a
    /// public suffix (`gouv.fr`), so it has no organisational domain.
    func organisationalDomain(of name: String) -> String? {
        name.withCString { pointer in
            psl_registrable_domain(context, pointer).map { String(cString: $0) }
        }
    }
}
