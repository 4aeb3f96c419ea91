import FoundationEssentials
import FoundationGaps

#if canImport(Glibc)
import Glibc
#endif

/// What a listening port speaks first, for the search of TLS on ports that have no usual protocol.
public enum PortSpeech: Sendable, Equatable {
    /// It answered a ClientHello with TLS records (a ServerHello, or an alert: it speaks TLS).
    case tls
    /// It sent something else first or in answer (a banner, an HTTP page), recognised when possible.
    case other(PlainProtocol)
    /// No answer, closed or reset, or unreachable: it does not show TLS.
    case silent(String)
}

extension TLSProber {
    /// How long a port may take to send a banner before the ClientHello is sent (server-first
    /// protocols such as SSH or SMTP greet at once; they are then left alone). A slower banner is
    /// still recognised, in answer to the ClientHello: this only spares them a ClientHello.
    public static let bannerWait = 0.3

    /// Whether `endpoint` speaks TLS: one connection, bounded by the connection timeout. A port that
    /// greets first is named by its banner and gets nothing; a silent one gets one raw ClientHello.
    public func speech(_ endpoint: TLSEndpoint) async -> PortSpeech {
        await withCheckedContinuation { (continuation: CheckedContinuation<PortSpeech, Never>) in
            DetachedThread.start { continuation.resume(returning: self.speech(blocking: endpoint)) }
        }
    }

    func speech(blocking endpoint: TLSEndpoint) -> PortSpeech {
        let connection: TCPConnection
        do {
            let address = try SocketAddress.resolve(host: endpoint.host, port: endpoint.port)[0]
            connection = try TCPConnection(to: address, deadline: Deadline(secondsFromNow: limits.connectionTimeout))
        } catch {
            return .silent(error.description)
        }
        var entry = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
        if poll(&entry, 1, Int32(Self.bannerWait * 1000)) > 0 {
            do {
                return .other(PlainProtocol(firstBytes: try connection.receive(maximum: PlainProtocol.maximumBytes)))
            } catch {
                return .silent(error.description)
            }
        }
        let suites = context.suiteLists.legacy[.tls1_2] ?? []
        switch RawHandshake.exchange(RawHandshake.Offer(version: .tls1_2, suites: Array(suites.prefix(limits.maximumSuitesPerHello))), on: connection) {
        case .serverHello, .alert: return .tls
        case .failure(.notTLS(let plain)): return .other(plain)
        case .failure(let error): return .silent(error.description)
        }
    }
}
