import AWSClient
import Foundation
import Testing
@testable import AkeylessClient

/// Settings resolution, the cloud id's shape, error text and redaction, without a server.
@Suite struct AkeylessConfigurationTests {
    @Test func urlComesFromTheParameterThenTheEnvironmentThenTheDefault() throws {
        let environment = ["AKEYLESS_API_URL": "https://gw.example.com:8000/api/v2/"]
        #expect(try AkeylessEndpoint.resolve(parameter: "http://127.0.0.1:1234", environment: environment).description
            == "http://127.0.0.1:1234")
        let gateway = try AkeylessEndpoint.resolve(parameter: nil, environment: environment)
        #expect(gateway.url(for: "auth").absoluteString == "https://gw.example.com:8000/api/v2/auth")
        #expect(try AkeylessEndpoint.resolve(parameter: "", environment: [:]).url(for: "target-get-details").absoluteString
            == "https://api.akeyless.io/target-get-details")
        #expect(throws: AkeylessError.self) { try AkeylessEndpoint("ftp://example.com") }
        #expect(throws: AkeylessError.self) { try AkeylessEndpoint("api.akeyless.io") }
    }

    @Test func loginFromTheEnvironment() throws {
        let keyed = try AkeylessLogin.resolve(environment: ["AKEYLESS_ACCESS_ID": "p-1", "AKEYLESS_ACCESS_KEY": "MARKER-k"])
        #expect(keyed.accessType == .accessKey)
        #expect(keyed.accessID == "p-1")
        #expect("\(keyed)" == "access_key p-1")

        let missing = #expect(throws: AkeylessError.self) { try AkeylessLogin.resolve(environment: ["AKEYLESS_ACCESS_ID": "p-1"]) }
        #expect(missing?.description.hasPrefix("AKEYLESS_ACCESS_KEY is not set") == true)

        let iam = try AkeylessLogin.resolve(
            environment: ["AKEYLESS_ACCESS_TYPE": "aws_iam", "AKEYLESS_ACCESS_ID": "p-2"],
            awsCredentials: { AWSCredentials(accessKeyID: "AKIAEXAMPLE0000000", secretAccessKey: "s") })
        #expect(iam.accessType == .awsIAM)
        // The parameter wins over the variable.
        let overridden = try AkeylessLogin.resolve(
            accessType: "access_key",
            environment: ["AKEYLESS_ACCESS_TYPE": "aws_iam", "AKEYLESS_ACCESS_ID": "p-2", "AKEYLESS_ACCESS_KEY": "k"])
        #expect(overridden.accessType == .accessKey)
        #expect(throws: AkeylessError.self) {
            try AkeylessLogin.resolve(environment: ["AKEYLESS_ACCESS_TYPE": "aws_iam", "AKEYLESS_ACCESS_ID": "p-2"])
        }
        #expect(throws: AkeylessError.self) {
            try AkeylessLogin.resolve(accessType: "saml", environment: ["AKEYLESS_ACCESS_ID": "p-2"])
        }
    }

    @Test func cloudIDHasTheShapeOfAkeylesssBuilders() throws {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE00000", secretAccessKey: "MARKER-secret", sessionToken: "tok")
        let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
        let cloudID = AWSCloudID.make(credentials: credentials, region: "eu-west-1", date: date)
        let outer = try #require(Data(base64Encoded: cloudID))
        let object = try #require(try JSONSerialization.jsonObject(with: outer) as? [String: String])
        #expect(object["sts_request_method"] == "POST")
        func decoded(_ key: String) throws -> String {
            let text = try #require(object[key])
            return String(decoding: try #require(Data(base64Encoded: text)), as: UTF8.self)
        }
        #expect(try decoded("sts_request_url") == "https://sts.eu-west-1.amazonaws.com/")
        #expect(try decoded("sts_request_body") == "Action=GetCallerIdentity&Version=2011-06-15")
        let headers = try #require(
            try JSONSerialization.jsonObject(with: Data(try decoded("sts_request_headers").utf8)) as? [String: [String]])
        #expect(headers["X-Amz-Date"] == ["20150830T123600Z"])
        #expect(headers["X-Amz-Security-Token"] == ["tok"])
        #expect(headers["Host"] == ["sts.eu-west-1.amazonaws.com"])
        let authorization = try #require(headers["Authorization"]?.first)
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE00000/20150830/eu-west-1/sts/aws4_request, SignedHeaders="))
        #expect(authorization.contains("host;x-amz-date"))
        #expect(!String(decoding: outer, as: UTF8.self).contains("MARKER"))
    }

    @Test func errorsLeadWithAkeylesssMessageOnOneLineWithoutSecrets() {
        let body = Array(#"{"error": "bad token t-SECRET123 \nsecond line"}"#.utf8)
        let error = AkeylessCaller.error(operation: "target-get-details", status: 401, body: body, secrets: ["t-SECRET123"])
        #expect(error.kind == .unauthorized)
        #expect(error.description == "bad token <redacted> second line (Akeyless target-get-details, HTTP 401)")
        let html = AkeylessCaller.error(operation: "auth", status: 502, body: Array("<html>Bad Gateway</html>".utf8), secrets: [])
        #expect(html.isRetryable)
        #expect(html.description == "<html>Bad Gateway</html> (Akeyless auth, HTTP 502)")
    }

    @Test func secretsNeverPrintThemselves() {
        let secret = AkeylessSecret("MARKER-value")
        var dumped = ""
        dump(secret, to: &dumped)
        for text in ["\(secret)", String(reflecting: secret), dumped] {
            #expect(!text.contains("MARKER"))
        }
    }

    @Test func requestBodiesUseTheSDKsKeys() throws {
        var body = TargetAWSBody(AkeylessAWSTargetSpec(name: "/t", region: "us-east-1", deleteProtection: true))
        body.newName = nil
        let data = try JSONEncoder().encode(WithToken(body: body, token: "t-1"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["name", "access-key", "access-key-id", "region", "use-gw-cloud-identity", "delete_protection", "token"])
        #expect(object["delete_protection"] as? String == "true")
        #expect(object["access-key"] as? String == "")
    }
}
