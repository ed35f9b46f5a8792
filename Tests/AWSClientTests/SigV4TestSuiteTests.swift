import Foundation
import Testing
@testable import AWSClient

/// AWS's published SigV4 test suite (Tests/Fixtures/sigv4, see its README): each step of
/// the signature must match the suite's file for that step, so a failure points at the
/// step that went wrong.
@Suite struct SigV4TestSuiteTests {
    private func signer(for suiteCase: SigV4SuiteCase) -> SigV4Signer {
        let credentials = AWSCredentials(
            accessKeyID: SigV4SuiteCase.accessKeyID, secretAccessKey: SigV4SuiteCase.secretAccessKey,
            sessionToken: suiteCase.hasSessionToken ? SigV4SuiteCase.sessionToken : nil)
        return SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
    }

    @Test func allCopiedCasesArePresent() {
        #expect(SigV4SuiteCase.names.count == 29)
        #expect(SigV4SuiteCase.names.contains("get-vanilla"))
        #expect(SigV4SuiteCase.names.contains("post-sts-header-before"))
    }

    @Test(arguments: SigV4SuiteCase.names)
    func eachStepMatchesTheSuite(name: String) throws {
        let suiteCase = try SigV4SuiteCase(name)
        let signer = signer(for: suiteCase)
        let canonical = signer.canonicalRequest(
            method: suiteCase.method, path: suiteCase.path, query: suiteCase.query,
            headers: suiteCase.headers, body: suiteCase.body)
        #expect(canonical.text == suiteCase.canonicalRequest)
        let stringToSign = signer.stringToSign(canonicalRequest: canonical, date: SigV4SuiteCase.date)
        #expect(stringToSign == suiteCase.stringToSign)
        let signature = signer.signature(stringToSign: stringToSign, date: SigV4SuiteCase.date)
        #expect(signer.authorization(signedHeaders: canonical.signedHeaders, signature: signature, date: SigV4SuiteCase.date)
            == suiteCase.authorization)
    }

    /// The same requests through the signing entry point, which adds `x-amz-date` and the
    /// session token itself: they are removed from the suite's headers first.
    @Test(arguments: SigV4SuiteCase.names)
    func signingAddsDateAndTokenAndMatchesTheSuite(name: String) throws {
        let suiteCase = try SigV4SuiteCase(name)
        let added: Set<String> = ["x-amz-date", "x-amz-security-token"]
        let headers = suiteCase.headers.filter { !added.contains($0.key.lowercased()) }
        let signed = signer(for: suiteCase).signedHeaders(
            method: suiteCase.method, path: suiteCase.path, query: suiteCase.query, host: "ignored.example",
            headers: headers, body: suiteCase.body, date: SigV4SuiteCase.date)
        #expect(signed["authorization"] == suiteCase.authorization)
        #expect(signed["x-amz-date"] == "20150830T123600Z")
        #expect(signed["x-amz-security-token"] == (suiteCase.hasSessionToken ? SigV4SuiteCase.sessionToken : nil))
        // The request's own Host header is kept, not replaced by the one derived from the URL.
        #expect(signed["Host"] == "example.amazonaws.com")
        #expect(signed["host"] == nil)
    }
}
