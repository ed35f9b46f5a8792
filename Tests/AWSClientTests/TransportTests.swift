import Foundation
import Testing
@testable import AWSClient

@Suite struct TransportTests {
    @Test func classifiesRetryableErrorsByCodeAndStatus() {
        func error(_ code: String, _ status: Int?) -> AWSError {
            AWSError(service: "Organizations", operation: "ListAccountsForParent", code: code, message: "m", httpStatus: status)
        }
        // Organizations throttles with HTTP 400: the code decides.
        #expect(error("TooManyRequestsException", 400).isRetryable)
        #expect(error("Throttling", 400).isRetryable)
        #expect(error("ThrottlingException", 400).isRetryable)
        #expect(error("RequestLimitExceeded", 503).isRetryable)
        #expect(error("Whatever", 429).isRetryable)
        #expect(error("InternalFailure", 500).isRetryable)
        #expect(error("NetworkError", nil).isRetryable)
        #expect(!error("AccessDeniedException", 400).isRetryable)
        #expect(!error("AWSOrganizationsNotInUseException", 400).isRetryable)
        #expect(!error("SignatureDoesNotMatch", 403).isRetryable)
    }

    @Test func errorsNameServiceOperationCodeAndAdvice() {
        let wrongSecret = AWSError(service: "STS", operation: "GetCallerIdentity", code: "SignatureDoesNotMatch",
                                   message: "The request signature we calculated does not match", httpStatus: 403)
        #expect(wrongSecret.description.hasPrefix("STS GetCallerIdentity: SignatureDoesNotMatch: The request signature"))
        #expect(wrongSecret.description.contains("check AWS_SECRET_ACCESS_KEY"))
        let expired = AWSError(service: "IAM", operation: "GetRole", code: "ExpiredToken", message: "expired")
        #expect(expired.description.contains("session credentials have expired"))
        let unknownKey = AWSError(service: "STS", operation: "AssumeRole", code: "InvalidClientTokenId", message: "")
        #expect(unknownKey.description.contains("check AWS_ACCESS_KEY_ID"))
        let denied = AWSError(service: "STS", operation: "AssumeRole", code: "AccessDenied", message: "no")
        #expect(denied.description == "STS AssumeRole: AccessDenied: no")
    }

    @Test func backoffHasFullJitterUnderACap() {
        let policy = RetryPolicy(maximumAttempts: 10, base: .milliseconds(100), cap: .seconds(2))
        for attempt in 1...12 {
            for _ in 0..<50 {
                let delay = policy.delay(afterAttempt: attempt)
                #expect(delay >= .zero)
                #expect(delay <= min(.seconds(2), .milliseconds(100) * (1 << attempt)))
            }
        }
    }

    @Test func formEncodingIsRFC3986() {
        #expect(AWSServiceClient.formEncode("arn:aws:iam::012345678901:role/a b+c~") == "arn%3Aaws%3Aiam%3A%3A012345678901%3Arole%2Fa%20b%2Bc~")
        #expect(AWSServiceClient.formEncode("é") == "%C3%A9")
    }

    @Test func readsErrorCodesFromXMLAndJSONAnswers() {
        let xml = Array("""
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>\
            <Code>AccessDenied</Code><Message>User: x is not authorized &amp; denied</Message></Error>\
            <RequestId>1</RequestId></ErrorResponse>
            """.utf8)
        #expect(AWSServiceClient.xmlError(xml)?.code == "AccessDenied")
        #expect(AWSServiceClient.xmlError(xml)?.message == "User: x is not authorized & denied")
        let json = Array(#"{"__type":"com.amazonaws.organizations#TooManyRequestsException","message":"slow down"}"#.utf8)
        #expect(AWSServiceClient.jsonError(json)?.code == "TooManyRequestsException")
        #expect(AWSServiceClient.jsonError(json)?.message == "slow down")
        #expect(AWSServiceClient.jsonError(Array("not json".utf8)) == nil)
    }
}
