import Foundation
import TestSupport

/// One case of AWS's SigV4 test suite in `Tests/Fixtures/sigv4/<name>/`: the request
/// from `<name>.req` and the expected canonical request, string to sign and
/// `Authorization` value.
struct SigV4SuiteCase: Sendable {
    static let directory = RepositoryFiles.url("Tests/Fixtures/sigv4")
    static let accessKeyID = "AKIDEXAMPLE"
    static let secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    /// The suite's session token (post-sts-token/readme.txt).
    static let sessionToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
    /// 2015-08-30T12:36:00Z.
    static let date = Date(timeIntervalSince1970: 1_440_938_160)

    /// The case names, from the fixture folders.
    static let names: [String] = {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return entries.filter { !$0.hasSuffix(".md") }.sorted()
    }()

    let name: String
    let method: String
    /// The path exactly as in the request line (the suite writes some unencoded).
    let path: String
    let query: String
    /// Header lines of the request; a name repeated is one header with its values joined by `,`.
    let headers: [String: String]
    let body: [UInt8]
    let canonicalRequest: String
    let stringToSign: String
    let authorization: String

    init(_ name: String) throws {
        self.name = name
        let folder = Self.directory.appendingPathComponent(name)
        func read(_ suffix: String) throws -> String {
            try String(contentsOf: folder.appendingPathComponent("\(name).\(suffix)"), encoding: .utf8)
        }
        canonicalRequest = try read("creq")
        stringToSign = try read("sts")
        authorization = try read("authz")

        let request = try read("req")
        let (head, body) = request.range(of: "\n\n").map { (request[..<$0.lowerBound], request[$0.upperBound...]) }
            ?? (request[...], "")
        self.body = Array(body.utf8)
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)[...]
        // "GET /example space/ HTTP/1.1": the target runs to the last space.
        let requestLine = lines.removeFirst()
        let method = requestLine.prefix { $0 != " " }
        let target = requestLine.dropFirst(method.count + 1).dropLast(" HTTP/1.1".count)
        self.method = String(method)
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts[0])
        query = parts.count > 1 ? String(parts[1]) : ""
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let value = String(line[line.index(after: colon)...])
            headers[key] = headers[key].map { "\($0),\(value)" } ?? value
        }
        self.headers = headers
    }

    var hasSessionToken: Bool {
        headers.keys.contains { $0.lowercased() == "x-amz-security-token" }
    }
}
