import AWSClient
import FleetformBasics
import Foundation

/// Posts a run's result to webhooks at its end (`--notify URL`, `FLEETFORM_NOTIFY_URL`),
/// so a scheduled run tells a Slack or Teams channel what happened without anyone
/// reading CI logs.
///
/// A notification is a courtesy, never part of the run: it cannot change the exit code,
/// and one receiver that never answers must not hold a scheduled job. So every
/// destination is posted to at once, and the whole delivery, retries included, ends
/// within `timeout`; a destination that has not taken the message by then is a warning.
public struct RunNotifier: Sendable {
    public var destinations: [NotifyDestination]
    /// How long the whole delivery may take, every attempt included.
    public var timeout: Duration
    /// Attempts after the first for a destination that refused, failed or was unreachable.
    public var retries: Int
    /// Pause before the first retry; doubled for each further one.
    public var backoff: Duration

    public static let defaultTimeout: Duration = .seconds(10)
    /// The variable that names destinations for every run, beside `--notify`: a webhook
    /// URL carries its secret in its path, and a variable keeps it off command lines.
    public static let environmentVariable = "FLEETFORM_NOTIFY_URL"

    public init(destinations: [NotifyDestination], timeout: Duration = defaultTimeout, retries: Int = 2,
                backoff: Duration = .milliseconds(500)) {
        self.destinations = destinations
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
    }

    /// The destinations of `--notify` flags and of `FLEETFORM_NOTIFY_URL` (several
    /// separated by commas or spaces), each once. A value that is not an http(s) URL with
    /// a host is a usage error naming where it came from, never echoing the URL.
    public static func destinations(
        flags: [String], environment: [String: String]
    ) throws(OnboardingFailure) -> [NotifyDestination] {
        var found: [NotifyDestination] = []
        let variable = (environment[environmentVariable] ?? "")
            .split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
        for (source, values) in [("--notify", flags), (environmentVariable, variable)] {
            for (index, value) in values.enumerated() {
                guard let destination = NotifyDestination(value) else {
                    throw OnboardingFailure(.usage, """
                        \(source) (value \(index + 1)): not an http:// or https:// URL with a host
                        """)
                }
                if !found.contains(destination) { found.append(destination) }
            }
        }
        return found
    }

    /// One destination that did not take the message.
    public struct Failure: Sendable, Equatable, CustomStringConvertible {
        public var destination: NotifyDestination
        public var attempts: Int
        /// The last answer or error.
        public var reason: String

        public var description: String {
            let tries = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
            return "warning: the notification to \(destination) was not delivered (\(reason), \(tries)); the run's result is unchanged"
        }
    }

    /// Posts `document` with a `text` member added (what a Slack or Teams incoming
    /// webhook shows) to every destination, and returns the ones that did not take it.
    public func deliver(_ document: JSONObject, text: String) async -> [Failure] {
        var members = document.members.filter { $0.key != "text" }
        members.insert(JSONObject.Member("text", .string(text)), at: 0)
        let body = Array(JSONValue.object(JSONObject(members: members)).serialized().utf8)
        let deadline = ContinuousClock.now + timeout
        return await withTaskGroup(of: Failure?.self) { group in
            for destination in destinations {
                group.addTask { await self.post(body, to: destination, until: deadline) }
            }
            var failures: [Failure] = []
            for await failure in group { if let failure { failures.append(failure) } }
            return failures.sorted { $0.destination.description < $1.destination.description }
        }
    }

    private func post(_ body: [UInt8], to destination: NotifyDestination, until deadline: ContinuousClock.Instant) async -> Failure? {
        let request = HTTPRequest(method: "POST", url: destination.url,
                                  headers: ["Content-Type": "application/json", "User-Agent": "fleetform"], body: body)
        var attempts = 0
        var reason = "no time left"
        var pause = backoff
        while attempts <= retries {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .milliseconds(50) else { break }
            attempts += 1
            do {
                // The deadline, not URLSession's idle timer (which fires early on Linux), ends a silent attempt.
                let transport = URLSessionTransport(idleTimeout: remaining + .seconds(30), deadline: remaining)
                let response = try await transport.send(request)
                if (200..<300).contains(response.status) { return nil }
                reason = "HTTP \(response.status)"
                // A 4xx other than 429 says the URL or the message is wrong: asking again changes nothing.
                if (400..<500).contains(response.status), response.status != 429 { break }
            } catch is RequestDeadlineExceeded {
                reason = "no answer before the \(timeout.components.seconds) s notification timeout"
                break
            } catch {
                reason = Self.describe(error)
            }
            guard ContinuousClock.now.duration(to: deadline) > pause else { break }
            try? await Task.sleep(for: pause)
            pause *= 2
        }
        return Failure(destination: destination, attempts: attempts, reason: reason)
    }

    /// A transport error as a few words, without the URL it may quote.
    private static func describe(_ error: any Error) -> String {
        let code = (error as? URLError)?.code
        switch code {
        case .cannotConnectToHost?: return "connection refused"
        case .timedOut?: return "timed out"
        case .cannotFindHost?, .dnsLookupFailed?: return "unknown host"
        case .networkConnectionLost?: return "connection lost"
        case .secureConnectionFailed?, .serverCertificateUntrusted?: return "TLS failed"
        default: return code.map { "network error \($0.rawValue)" } ?? "network error"
        }
    }
}

/// Where a run's result is posted. Shown as scheme, host and port only: the path of a
/// Slack or Teams webhook URL is the secret that lets anyone post to the channel.
public struct NotifyDestination: Sendable, Equatable, CustomStringConvertible {
    public var url: URL

    public init?(_ text: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              let url = components.url else { return nil }
        self.url = url
    }

    public var description: String {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false),
              let scheme = components.scheme, let host = components.host else { return "a webhook" }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }
}
