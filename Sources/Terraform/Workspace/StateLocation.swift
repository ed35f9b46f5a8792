import FleetformBasics

/// Where every account's Terraform state is kept: `local` (the default,
/// `<home>/state/<account>/terraform.tfstate`) or `s3://BUCKET/PREFIX`, one object per
/// account at `PREFIX/<account>/terraform.tfstate`.
///
/// The text form is what `--state` takes and what the database records. The region of
/// an S3 location may be given as `?region=`; one recorded location always carries it,
/// so that later runs render the same backend whatever `AWS_REGION` says that day (a
/// changed backend would need a new `terraform init` in every workspace).
public enum StateLocation: Sendable, Hashable, CustomStringConvertible {
    case local
    case s3(bucket: String, prefix: String, region: String?)

    /// The region S3 state falls back to when neither the URL nor the environment names
    /// one, as the AWS CLI does.
    public static let defaultRegion = "us-east-1"

    /// Parses `local`, `s3://BUCKET`, `s3://BUCKET/PREFIX` or either with `?region=R`.
    /// A trailing `/` on the prefix is dropped.
    public init(parsing text: String) throws(StateLocationError) {
        if text == "local" {
            self = .local
            return
        }
        guard text.hasPrefix("s3://") else {
            throw StateLocationError(text: text, reason: "expected local or s3://BUCKET/PREFIX")
        }
        var rest = Substring(text.dropFirst("s3://".count))
        var region: String?
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)...]
            rest = rest[..<question]
            for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0] == "region" else {
                    throw StateLocationError(text: text, reason: "the only query setting is region=REGION")
                }
                guard AWSRegionName.isValid(String(parts[1])) else {
                    throw StateLocationError(text: text, reason: "region \(parts[1]) is not an AWS region name")
                }
                region = String(parts[1])
            }
        }
        let bucket = String(rest.prefix { $0 != "/" })
        var prefix = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
        while prefix.hasSuffix("/") { prefix.removeLast() }
        if let problem = Self.bucketProblem(bucket) { throw StateLocationError(text: text, reason: problem) }
        if let problem = Self.prefixProblem(prefix) { throw StateLocationError(text: text, reason: problem) }
        self = .s3(bucket: bucket, prefix: prefix, region: region)
    }

    /// S3's bucket naming rules (3–63 lowercase letters, digits, dots and hyphens,
    /// starting and ending with a letter or digit).
    static func bucketProblem(_ bucket: String) -> String? {
        let bytes = Array(bucket.utf8)
        let isAlphanumeric = { (byte: UInt8) in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
        guard (3...63).contains(bytes.count),
              bytes.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }),
              isAlphanumeric(bytes[0]), isAlphanumeric(bytes[bytes.count - 1]) else {
            return "the bucket name must be 3 to 63 lowercase letters, digits, dots and hyphens"
        }
        return nil
    }

    /// Terraform refuses a key with `//`; control characters and `#` have no business
    /// in an object key that is also shown in logs and errors.
    static func prefixProblem(_ prefix: String) -> String? {
        if prefix.contains("//") { return "the prefix must not contain //" }
        if prefix.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "#" || $0 == "\\" }) {
            return "the prefix must not contain control characters, # or \\"
        }
        if prefix.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) {
            return "the prefix must not contain . or .. segments"
        }
        return nil
    }

    /// The location with its region filled in: the URL's, else `AWS_REGION`, else
    /// `AWS_DEFAULT_REGION`, else us-east-1. An invalid region in the environment is not
    /// used (it is never spliced anywhere; the default stands).
    public func resolvingRegion(environment: [String: String]) -> StateLocation {
        guard case .s3(let bucket, let prefix, nil) = self else { return self }
        let region = [environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]]
            .compactMap { $0 }.first { AWSRegionName.isValid($0) } ?? Self.defaultRegion
        return .s3(bucket: bucket, prefix: prefix, region: region)
    }

    /// Whether `self`, as a user asked for it, names the recorded location `recorded`:
    /// the same store, and the same region when the request names one.
    public func names(_ recorded: StateLocation) -> Bool {
        switch (self, recorded) {
        case (.local, .local): true
        case (.s3(let bucket, let prefix, let region), .s3(let recordedBucket, let recordedPrefix, let recordedRegion)):
            bucket == recordedBucket && prefix == recordedPrefix && (region == nil || region == recordedRegion)
        default: false
        }
    }

    public var isS3: Bool {
        if case .s3 = self { true } else { false }
    }

    /// `local`, or `s3://bucket/prefix?region=r`: parses back to the same value.
    public var description: String {
        switch self {
        case .local: "local"
        case .s3(let bucket, let prefix, let region):
            "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") + (region.map { "?region=\($0)" } ?? "")
        }
    }

    /// The S3 object key of an account's state.
    static func key(prefix: String, accountID: String) -> String {
        (prefix.isEmpty ? "" : prefix + "/") + "\(accountID)/terraform.tfstate"
    }

    /// The S3 object a terraform holding the account's state lock writes
    /// (`<state key>.tflock`, `use_lockfile`); nil for local state.
    public func lockObject(accountID: String) -> (bucket: String, key: String, region: String)? {
        guard case .s3(let bucket, let prefix, let region) = self else { return nil }
        return (bucket, Self.key(prefix: prefix, accountID: accountID) + ".tflock", region ?? Self.defaultRegion)
    }

    /// Where an account's state is, for messages: the file, or `s3://bucket/key`.
    public func stateDescription(accountID: String, layout: HomeLayout) -> String {
        switch self {
        case .local: layout.stateFile(accountID: accountID).path
        case .s3(let bucket, let prefix, _): "s3://\(bucket)/\(Self.key(prefix: prefix, accountID: accountID))"
        }
    }
}

/// A `--state` value that is not a state location.
public struct StateLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String { "\(text): \(reason)" }
}

/// The backend every workspace of a home is rendered with: the state location and how
/// this machine reaches S3.
public struct StateBackend: Sendable, Equatable {
    /// With the region resolved (see `StateLocation.resolvingRegion`).
    public var location: StateLocation
    /// Path-style S3 requests (`http://endpoint/bucket/key`). Needed when the S3
    /// endpoint is overridden (moto, MinIO, LocalStack on a loopback address): with the
    /// default virtual-hosted style the backend would ask `<bucket>.127.0.0.1`. Not used
    /// against AWS itself, where virtual-hosted style is the supported default.
    public var usePathStyle: Bool

    public static let local = StateBackend(location: .local, usePathStyle: false)

    public init(location: StateLocation, usePathStyle: Bool) {
        self.location = location
        self.usePathStyle = usePathStyle
    }

    /// The backend for `location` on this machine: path style when `AWS_ENDPOINT_URL_S3`
    /// or `AWS_ENDPOINT_URL` is set, which Terraform's S3 backend (1.6 and later) reads
    /// itself. The endpoint is never written into the workspace: it belongs to the
    /// machine, not to the fleet.
    public init(location: StateLocation, environment: [String: String]) {
        let endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"].contains { !(environment[$0] ?? "").isEmpty }
        self.init(location: location.resolvingRegion(environment: environment), usePathStyle: location.isS3 && endpoint)
    }

    /// `fleetform_backend.tf.json` for one account. Credentials are never in it: the
    /// backend takes them from the environment, as the AWS CLI does.
    func json(accountID: String, localStatePath: String) -> String {
        switch location {
        case .local:
            return WorkspaceRenderer.localBackend(statePath: localStatePath)
        case .s3(let bucket, let prefix, let region):
            var settings: [JSONObject.Member] = [
                .init("bucket", .string(bucket)),
                .init("key", .string(StateLocation.key(prefix: prefix, accountID: accountID))),
                .init("region", .string(region ?? StateLocation.defaultRegion)),
                // S3's own conditional writes as the state lock (Terraform 1.10+): a
                // `<key>.tflock` object while a terraform holds it, no DynamoDB table.
                .init("use_lockfile", .bool(true)),
            ]
            if usePathStyle { settings.append(.init("use_path_style", .bool(true))) }
            let backend = JSONValue.object(JSONObject(members: [
                .init("terraform", .object(JSONObject(members: [
                    .init("backend", .object(JSONObject(members: [.init("s3", .object(JSONObject(members: settings)))]))),
                ]))),
            ]))
            return backend.serialized(pretty: true) + "\n"
        }
    }
}
