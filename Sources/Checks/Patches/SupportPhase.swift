import FoundationEssentials

/// Where a release stands in its distribution's support cycle on a given day.
///
/// Debian (https://wiki.debian.org/LTS, https://www.freexian.com/lts/extended/): the Security Team
/// supports a stable release until `eol`; then the LTS Team, through the same security archive and
/// for free, supports most packages of the main architectures until `eol-lts`; then Freexian's
/// Extended LTS, paid and from its own archive (`deb.freexian.com/extended-lts`), a subset until
/// `eol-elts`. Ubuntu (https://ubuntu.com/about/release-cycle): standard security maintenance until
/// `eol` (`eol-server` where server support lasted longer); for LTS releases, Expanded Security
/// Maintenance through Ubuntu Pro (`esm.ubuntu.com` sources) until `eol-esm`, and the Legacy
/// support add-on until `eol-legacy`.
enum SupportPhase: String, Sendable, CaseIterable {
    /// Not released yet (Debian testing or unstable, an Ubuntu development release): no security
    /// support from the security team.
    case development
    /// Regular security support from the distribution's security team.
    case standard
    /// Debian LTS: free, automatic through the `-security` suite, fewer packages and architectures.
    case debianLTS = "debian-lts"
    /// Freexian's Extended LTS: paid, its own archive, a subset of packages.
    case debianELTS = "debian-elts"
    /// Ubuntu ESM: needs Ubuntu Pro and its `esm` sources.
    case ubuntuESM = "ubuntu-esm"
    /// Ubuntu Pro's Legacy support add-on, after ESM.
    case ubuntuLegacy = "ubuntu-legacy"
    /// No security support of any kind.
    case ended

    /// A phase in which security fixes still come, but only from an extended programme
    /// (fewer packages, sometimes paid).
    var isExtended: Bool { [.debianLTS, .debianELTS, .ubuntuESM, .ubuntuLegacy].contains(self) }
}

extension DistroInfo.Release {
    /// The phase on `now`, and the first day of the next phase (nil when the table sets no end yet).
    /// A milestone date is the first day of the phase after it, as `debian-distro-info` and
    /// `ubuntu-distro-info` count it (`--supported` lists a release while the date is before `eol`).
    func phase(on now: Date, distribution: DistroInfo.Distribution) -> (phase: SupportPhase, ends: Date?) {
        guard let release, now >= release else { return (.development, release) }
        switch distribution {
        case .debian:
            guard let eol, now >= eol else { return (.standard, eol) }
            if let eolLTS, now < eolLTS { return (.debianLTS, eolLTS) }
            if let eolELTS, now < eolELTS { return (.debianELTS, eolELTS) }
            return (.ended, [eol, eolLTS, eolELTS].compactMap { $0 }.max())
        case .ubuntu:
            // Server support: `eol-server` where it was longer than the desktop's (LTS up to 10.04).
            let standardEnd = [eol, eolServer].compactMap { $0 }.max()
            guard let standardEnd, now >= standardEnd else { return (.standard, standardEnd) }
            if let eolESM, now < eolESM { return (.ubuntuESM, eolESM) }
            if let eolLegacy, now < eolLegacy { return (.ubuntuLegacy, eolLegacy) }
            return (.ended, [standardEnd, eolESM, eolLegacy].compactMap { $0 }.max())
        }
    }

    /// The end of regular security support (first day without it), nil when not set yet.
    func standardEnd(_ distribution: DistroInfo.Distribution) -> Date? {
        distribution == .ubuntu ? [eol, eolServer].compactMap { $0 }.max() : eol
    }

    /// The end of the last extended phase the table gives, nil when there is none.
    func extendedEnd(_ distribution: DistroInfo.Distribution) -> Date? {
        distribution == .ubuntu ? (eolLegacy ?? eolESM) : (eolELTS ?? eolLTS)
    }
}
