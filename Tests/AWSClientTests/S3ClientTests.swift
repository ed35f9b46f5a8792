import Foundation
import Testing
@testable import AWSClient

/// S3 GetObject, as fleetform reads the `.tflock` object of an account's S3 state.
@Suite struct S3ClientTests {
    static let credentials = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                              "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"]

    @Test func getsAnObjectPathStyleFromAConfiguredEndpointSigned() async throws {
        let transport = StubTransport { _ in .json(#"{"ID":"abc"}"#) }
        let session = AWSSession(environment: Self.credentials.merging(["AWS_ENDPOINT_URL": "http://127.0.0.1:5000"]) { $1 },
                                 transport: transport)
        let body = try await session.s3(region: "eu-west-1").getObject(bucket: "team-state", key: "fleet/4100/terraform.tfstate.tflock")
        #expect(body.map { String(decoding: $0, as: UTF8.self) } == #"{"ID":"abc"}"#)
        let request = try #require(transport.requests.first)
        #expect(request.method == "GET")
        #expect(request.url.absoluteString == "http://127.0.0.1:5000/team-state/fleet/4100/terraform.tfstate.tflock")
        #expect(request.headers["x-amz-content-sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(request.headers["authorization"]?.contains("/eu-west-1/s3/aws4_request") == true)
        #expect(request.body.isEmpty)
    }

    @Test func againstAWSTheBucketIsInTheHostName() throws {
        let session = AWSSession(environment: Self.credentials, transport: StubTransport { _ in .json("") })
        let url = try session.s3(region: "eu-west-1").objectURL(bucket: "team-state", key: "p/1/terraform.tfstate.tflock")
        #expect(url.absoluteString == "https://team-state.s3.eu-west-1.amazonaws.com/p/1/terraform.tfstate.tflock")
    }

    @Test func noSuchKeyIsNilNotAnError() async throws {
        let transport = StubTransport { _ in
            .json("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>", status: 404)
        }
        let session = AWSSession(environment: Self.credentials.merging(["AWS_ENDPOINT_URL": "http://127.0.0.1:5000"]) { $1 },
                                 transport: transport)
        #expect(try await session.s3(region: "us-east-1").getObject(bucket: "b-1", key: "k") == nil)
        #expect(transport.requests.count == 1)
    }

    @Test func accessDeniedIsAnErrorNamingTheObject() async throws {
        let transport = StubTransport { _ in
            .json("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", status: 403)
        }
        let session = AWSSession(environment: Self.credentials.merging(["AWS_ENDPOINT_URL": "http://127.0.0.1:5000"]) { $1 },
                                 transport: transport)
        await #expect {
            _ = try await session.s3(region: "us-east-1").getObject(bucket: "b-1", key: "k")
        } throws: { error in
            let error = error as? AWSError
            return error?.code == "AccessDenied" && error?.resource == "s3://b-1/k"
        }
    }
}
