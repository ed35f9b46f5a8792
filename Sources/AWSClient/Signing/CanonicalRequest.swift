/// The canonical form of a request that SigV4 hashes: the one string both the client and
/// AWS build from the request, so that any difference shows up as a signature mismatch.
///
/// Kept as separate fields rather than only the joined text because the signed-header
/// list also goes into the `Authorization` header, and tests compare each part.
struct CanonicalRequest: Sendable, Equatable {
    var method: String
    var uri: String
    var query: String
    /// `name:value\n` for every signed header, sorted by name.
    var headers: String
    /// The signed header names, lower-case, sorted, joined with `;`.
    var signedHeaders: String
    var payloadHash: String

    /// Headers left out of the signature because something between us and AWS may add,
    /// drop or rewrite them (proxies, URLSession, curl), which would break a signature
    /// that covered them. The AWS SDKs leave out the same ones.
    static let unsignedHeaders: Set<String> = [
        "authorization", "connection", "expect", "transfer-encoding", "user-agent", "x-amzn-trace-id",
    ]

    /// - Parameters:
    ///   - path: the path as sent on the wire (percent-encoded), without the query.
    ///   - query: the query as sent on the wire, without the `?`.
    ///   - headers: every header to send; names in any case. Names that differ only in case
    ///     are one header, their values joined with `,` in name order.
    init(method: String, path: String, query: String, headers: [String: String], payloadHash: String) {
        self.method = method.uppercased()
        uri = SigV4Encoding.canonicalURI(path: path)
        self.query = SigV4Encoding.canonicalQuery(query)
        var values: [String: [String]] = [:]
        for name in headers.keys.sorted() {
            let lower = name.lowercased()
            guard !Self.unsignedHeaders.contains(lower) else { continue }
            values[lower, default: []].append(Self.canonicalValue(headers[name]!))
        }
        let names = values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        self.headers = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        signedHeaders = names.joined(separator: ";")
        self.payloadHash = payloadHash
    }

    /// The text that is hashed into the string to sign.
    var text: String {
        [method, uri, query, headers, signedHeaders, payloadHash].joined(separator: "\n")
    }

    /// A header value with leading and trailing white space removed and every run of
    /// white space inside (including obsolete line folding) reduced to one space.
    static func canonicalValue(_ value: String) -> String {
        var output = ""
        var pendingSpace = false
        for scalar in value.unicodeScalars {
            if scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n" {
                pendingSpace = !output.isEmpty
            } else {
                if pendingSpace { output.unicodeScalars.append(" ") }
                pendingSpace = false
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }
}
