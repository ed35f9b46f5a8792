import Foundation

extension MotoServer {
    /// Creates an S3 bucket in moto (us-east-1).
    public func createBucket(_ name: String) throws {
        _ = try MotoOrgScript.run(["--endpoint", endpoint, "create-bucket", "--bucket", name], script: "moto_s3.py")
    }

    /// Every object key in the bucket, sorted.
    public func objectKeys(bucket: String) throws -> [String] {
        let output = try MotoOrgScript.run(["--endpoint", endpoint, "list", "--bucket", bucket], script: "moto_s3.py")
        struct Listing: Decodable { var keys: [String] }
        return try JSONDecoder().decode(Listing.self, from: Data(output.utf8)).keys
    }

    /// An object's body.
    public func object(bucket: String, key: String) throws -> String {
        try MotoOrgScript.run(["--endpoint", endpoint, "get", "--bucket", bucket, "--key", key], script: "moto_s3.py")
    }

    /// Writes an object.
    public func putObject(bucket: String, key: String, body: String) throws {
        _ = try MotoOrgScript.run(["--endpoint", endpoint, "put", "--bucket", bucket, "--key", key, "--body", body],
                                  script: "moto_s3.py")
    }
}
