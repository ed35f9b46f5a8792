import Crypto
import Foundation
import Testing
@testable import AWSClient

/// The URL-based entry point the transport uses, and the encoding rules on their own.
@Suite struct SigV4SignerTests {
    let example = AWSCredentials(accessKeyID: SigV4SuiteCase.accessKeyID, secretAccessKey: SigV4SuiteCase.secretAccessKey)
    let date = SigV4SuiteCase.date

    @Test func urlRequestsSignLikeTheSuite() throws {
        let signer = SigV4Signer(credentials: example, region: "us-east-1", service: "service")
        for name in ["get-vanilla", "get-vanilla-query-order-key-case", "get-vanilla-query-unreserved", "post-vanilla-query"] {
            let suiteCase = try SigV4SuiteCase(name)
            let url = try #require(URL(string: "https://example.amazonaws.com\(suiteCase.path)?\(suiteCase.query)"))
            let signed = signer.signedHeaders(method: suiteCase.method, url: url, headers: [:], body: [], date: date)
            #expect(signed["authorization"] == suiteCase.authorization, "\(name)")
            #expect(signed["host"] == "example.amazonaws.com")
        }
    }

    /// The worked example of AWS's "Create a signed AWS API request" guide: IAM ListUsers.
    @Test func documentedIAMExample() throws {
        let signer = SigV4Signer(credentials: example, region: "us-east-1", service: "iam")
        let url = try #require(URL(string: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"))
        let headers = ["content-type": "application/x-www-form-urlencoded; charset=utf-8"]
        let signed = signer.signedHeaders(method: "GET", url: url, headers: headers, body: [], date: date)
        #expect(signed["authorization"] == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date, "
            + "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
        let canonical = signer.canonicalRequest(
            method: "GET", path: "/", query: "Action=ListUsers&Version=2010-05-08", headers: signed.filter { $0.key != "authorization" },
            body: [])
        #expect(SigV4Encoding.hex(SHA256.hash(data: Array(canonical.text.utf8)))
            == "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
    }

    @Test func sessionTokenIsSignedAndSent() throws {
        let credentials = AWSCredentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: "secret", sessionToken: "token/+=")
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "sts")
        let url = try #require(URL(string: "https://sts.us-east-1.amazonaws.com"))
        let signed = signer.signedHeaders(method: "POST", url: url, headers: [:], body: Array("Action=GetCallerIdentity".utf8), date: date)
        #expect(signed["x-amz-security-token"] == "token/+=")
        #expect(signed["authorization"]?.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,") == true)
        #expect(signed["authorization"]?.contains("Credential=ASIAEXAMPLE/20150830/us-east-1/sts/aws4_request,") == true)
    }

    @Test func headersItAddsReplaceAnyCaseVariantAndUnstableHeadersAreNotSigned() throws {
        let signer = SigV4Signer(credentials: example, region: "us-east-1", service: "service")
        let url = try #require(URL(string: "https://example.amazonaws.com/"))
        let signed = signer.signedHeaders(
            method: "GET", url: url,
            headers: ["X-Amz-Date": "19990101T000000Z", "Authorization": "stale", "X-Amz-Security-Token": "stale",
                      "User-Agent": "fleetform/1.0"],
            body: [], date: date)
        #expect(Set(signed.keys) == ["host", "x-amz-date", "authorization", "User-Agent"])
        #expect(signed["User-Agent"] == "fleetform/1.0")
        // Without the User-Agent in the signature, this is exactly get-vanilla.
        #expect(signed["authorization"] == (try SigV4SuiteCase("get-vanilla").authorization))
    }

    @Test func hostHeaderCarriesOnlyANonDefaultPort() throws {
        #expect(SigV4Signer.hostHeader(for: URL(string: "http://127.0.0.1:5000")!) == "127.0.0.1:5000")
        #expect(SigV4Signer.hostHeader(for: URL(string: "https://STS.amazonaws.com:443/")!) == "sts.amazonaws.com")
        #expect(SigV4Signer.hostHeader(for: URL(string: "http://localhost:80")!) == "localhost")
        #expect(SigV4Signer.hostHeader(for: URL(string: "https://localhost:80")!) == "localhost:80")
        #expect(SigV4Signer.hostHeader(for: URL(string: "http://[::1]:4566/")!) == "[::1]:4566")
    }

    /// Non-S3 paths are encoded once more on top of their wire encoding; AWS's guide
    /// gives `/documents%2520and%2520settings/` for "/documents and settings/".
    @Test func pathsAreDoubleEncodedAndNormalised() throws {
        #expect(SigV4Encoding.canonicalURI(path: "/documents%20and%20settings/") == "/documents%2520and%2520settings/")
        #expect(SigV4Encoding.canonicalURI(path: "") == "/")
        #expect(SigV4Encoding.canonicalURI(path: "/a/b/..") == "/a/")
        #expect(SigV4Encoding.canonicalURI(path: "/a/./b//c") == "/a/b/c")
        let signer = SigV4Signer(credentials: example, region: "us-east-1", service: "service")
        let url = try #require(URL(string: "https://example.amazonaws.com/documents%20and%20settings/"))
        let signed = signer.signedHeaders(method: "GET", url: url, headers: [:], body: [], date: date)
        let canonical = signer.canonicalRequest(
            method: "GET", path: "/documents%20and%20settings/", query: "", headers: signed.filter { $0.key != "authorization" },
            body: [])
        #expect(canonical.uri == "/documents%2520and%2520settings/")
        let signature = signer.signature(stringToSign: signer.stringToSign(canonicalRequest: canonical, date: date), date: date)
        #expect(signed["authorization"]?.hasSuffix("Signature=\(signature)") == true)
    }

    @Test func queryIsDecodedReencodedAndSortedByteWise() {
        // smithy-rs's get-query-plus case: "+" is a literal plus, a bare name gets "=".
        #expect(SigV4Encoding.canonicalQuery("c+d") == "c%2Bd=")
        #expect(SigV4Encoding.canonicalQuery("b=2&a=%7e&A=1&&a=1") == "A=1&a=1&a=~&b=2")
        #expect(SigV4Encoding.canonicalQuery("x=a%20b&y=a b&z=%E2%82%AC*") == "x=a%20b&y=a%20b&z=%E2%82%AC%2A")
        #expect(SigV4Encoding.canonicalQuery("bad=%zz") == "bad=%25zz")
    }

    /// The one encoder for signatures and for Query-protocol form bodies (STS, IAM).
    @Test func encodingKeepsOnlyTheUnreservedCharacters() {
        #expect(SigV4Encoding.encode("AZaz09-_.~ /=&+") == "AZaz09-_.~%20%2F%3D%26%2B")
        #expect(SigV4Encoding.encode("arn:aws:iam::012345678901:role/a b+c~") == "arn%3Aaws%3Aiam%3A%3A012345678901%3Arole%2Fa%20b%2Bc~")
        #expect(SigV4Encoding.encode("é") == "%C3%A9")
        #expect(SigV4Encoding.encode("a/b", keepingSlashes: true) == "a/b")
    }

    @Test func headerValuesAreTrimmedAndSpacesCollapsed() {
        #expect(CanonicalRequest.canonicalValue("  a   b \t c  ") == "a b c")
        #expect(CanonicalRequest.canonicalValue("value1\n  value2") == "value1 value2")
        #expect(CanonicalRequest.canonicalValue("") == "")
    }

    @Test func timestampIsUTCAndDropsFractions() {
        let timestamp = SigV4Timestamp(Date(timeIntervalSince1970: 1_440_938_159.999))
        #expect(timestamp.dateTime == "20150830T123559Z")
        #expect(timestamp.day == "20150830")
        #expect(SigV4Timestamp(Date(timeIntervalSince1970: 0)).dateTime == "19700101T000000Z")
        #expect(SigV4Timestamp(Date(timeIntervalSince1970: 951_782_400)).dateTime == "20000229T000000Z")
    }
}
