import Foundation

/// Amazon S3, as far as fleetform reads it: one object at a time (the `.tflock` object
/// of an account's S3 state). Terraform itself reads and writes the state.
///
/// Path-style addressing (`endpoint/bucket/key`) when the endpoint is configured
/// (moto, MinIO, LocalStack), as the rendered backend does (`use_path_style`);
/// virtual-hosted style (`bucket.s3.region.amazonaws.com/key`) against AWS.
public struct S3Client: Sendable {
    let client: AWSServiceClient
    let pathStyle: Bool

    /// The object's body, or nil when there is no such object.
    public func getObject(bucket: String, key: String) async throws -> [UInt8]? {
        try await client.get("GetObject", url: objectURL(bucket: bucket, key: key), resource: "s3://\(bucket)/\(key)")
    }

    /// The URL of an object. Each key segment is encoded with SigV4's RFC 3986 rules, so
    /// the path sent is the canonical path signed (S3 signs it without a second encoding;
    /// state keys hold no `.` or `..` segments that normalisation would change).
    func objectURL(bucket: String, key: String) -> URL {
        let path = key.split(separator: "/", omittingEmptySubsequences: false)
            .map { SigV4Encoding.encode(String($0)) }.joined(separator: "/")
        var components = URLComponents(url: client.endpoint.url, resolvingAgainstBaseURL: false)!
        let base = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast())
            : components.percentEncodedPath
        if pathStyle {
            components.percentEncodedPath = base + "/" + SigV4Encoding.encode(bucket) + "/" + path
        } else {
            components.host = "\(bucket).\(components.host ?? "")"
            components.percentEncodedPath = base + "/" + path
        }
        return components.url!
    }
}
