import Foundation

/// A local incoming webhook (Tests/Fixtures/webhook/webhook_receiver.py) on 127.0.0.1
/// and a free port: it takes a JSON object with a string `text` as Slack and Teams do,
/// records every request, and can be down for the first requests or never answer.
public final class WebhookReceiver: Sendable {
    /// One request as the receiver saw it.
    public struct Request: Sendable, Decodable {
        public var method: String
        public var path: String
        public var contentType: String?
        /// What it answered; nil when it never answered (`hang`).
        public var status: Int?
        public var body: String

        enum CodingKeys: String, CodingKey {
            case method, path, body, status
            case contentType = "content_type"
        }

        /// The body as a JSON object, or nil.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    public enum Behaviour: Sendable {
        case answer
        /// 503 for the first `count` requests, then as `answer`.
        case failFirst(Int)
        /// Accept the connection and never answer.
        case hang
    }

    public let port: Int
    private let process: BackgroundProcess
    private let recordFile: URL
    private let directory: TemporaryDirectory

    /// A URL with a secret-looking path, as a Slack webhook has.
    public var url: String { "http://127.0.0.1:\(port)/services/T000/B000/secretpath" }

    private init(port: Int, process: BackgroundProcess, recordFile: URL, directory: TemporaryDirectory) {
        self.port = port
        self.process = process
        self.recordFile = recordFile
        self.directory = directory
    }

    public static func start(_ behaviour: Behaviour = .answer, timeout: Double = 30) throws -> WebhookReceiver {
        let script = RepositoryFiles.url("Tests/Fixtures/webhook/webhook_receiver.py")
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw TestEnvironmentError("test fixture \(script.path) is missing")
        }
        let directory = try TemporaryDirectory("fleetform-webhook")
        let recordFile = directory.url.appendingPathComponent("requests.jsonl")
        var arguments = ["--record", recordFile.path]
        switch behaviour {
        case .answer: break
        case .failFirst(let count): arguments += ["--fail-first", String(count)]
        case .hang: arguments.append("--hang")
        }
        let server = try PythonFixture.startServer(
            script, arguments: arguments, directory: directory, logFile: "receiver.log", timeout: timeout)
        return WebhookReceiver(port: server.port, process: server.process, recordFile: recordFile, directory: directory)
    }

    /// Every request received so far, in order.
    public func requests() throws -> [Request] {
        let text = (try? String(contentsOf: recordFile, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    public func stop() {
        process.stop()
    }

    deinit {
        process.stop()
    }
}
