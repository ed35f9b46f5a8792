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

    /// Causes first: a status table keeps about 40 characters, and those must say what went wrong.
    @Test func errorsLeadWithTheCauseThenAdviceThenTheCall() {
        let wrongSecret = AWSError(service: "STS", operation: "GetCallerIdentity", code: "SignatureDoesNotMatch",
                                   message: "The request signature we calculated does not match", httpStatus: 403)
        #expect(wrongSecret.description == "SignatureDoesNotMatch: The request signature we calculated does not match; "
            + "the secret access key does not match the access key ID: check AWS_SECRET_ACCESS_KEY or the profile's "
            + "aws_secret_access_key, and the system clock (STS GetCallerIdentity)")
        let expired = AWSError(service: "IAM", operation: "GetRole", code: "ExpiredToken", message: "expired")
        #expect(expired.description.hasPrefix("ExpiredToken: expired; the session credentials have expired"))
        let unknownKey = AWSError(service: "STS", operation: "AssumeRole", code: "InvalidClientTokenId", message: "")
        #expect(unknownKey.description.hasPrefix("InvalidClientTokenId; the access key ID is not known to AWS: check AWS_ACCESS_KEY_ID"))
        let denied = AWSError(service: "STS", operation: "AssumeRole", code: "AccessDenied", message: "no")
        #expect(denied.description == "AccessDenied: no (STS AssumeRole)")
        let listing = AWSError(service: "Organizations", operation: "ListAccountsForParent", code: "AccessDeniedException",
                               message: "denied", resource: "ou-ab12-cd34ef56")
        #expect(listing.description == "AccessDeniedException: denied (Organizations ListAccountsForParent ou-ab12-cd34ef56)")
        // Failures on this side are their own message, without a code in front.
        let refused = AWSError(service: "STS", operation: "AssumeRole", code: AWSError.connectionRefused,
                               message: "cannot connect to http://127.0.0.1:9 (connection refused)")
        #expect(refused.description == "cannot connect to http://127.0.0.1:9 (connection refused) (STS AssumeRole)")
    }

    /// One formatter for every recorded AWS failure: cause, then what was being done.
    @Test func failureLinesLeadWithTheCause() {
        let role = "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"
        let denied = AWSError(service: "STS", operation: "AssumeRole", code: "AccessDenied",
                              message: "User: arn:aws:iam::111111111111:user/ci is not authorized to perform: sts:AssumeRole", httpStatus: 403)
        #expect(FailureLine.text(denied, context: "assuming \(role)")
            == "AccessDenied: User: arn:aws:iam::111111111111:user/ci is not authorized to perform: sts:AssumeRole (assuming \(role))")
        #expect(FailureLine.text(denied) == "\(denied)")
        #expect(FailureLine.text(AWSConfigurationError.noRegion, context: "preflight").hasPrefix("No AWS region is configured"))
        #expect(FailureLine.text(AWSConfigurationError.noRegion, context: "preflight").hasSuffix(" (preflight)"))
    }

    /// An answer can carry terminal escapes or bidi overrides; errors show them as text.
    @Test func serverTextInErrorsIsEscaped() {
        let hostile = AWSError(service: "STS", operation: "AssumeRole", code: "Access\u{1B}[2J", message: "ok\u{202E}txt",
                               resource: "ou-\u{7}")
        #expect(hostile.description == #"Access\u{1B}[2J: ok\u{202E}txt (STS AssumeRole ou-\u{7})"#)
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
        // Other services' spellings of the same two members.
        let other = AWSServiceClient.jsonError(Array(#"{"code":"ValidationException","Message":"bad"}"#.utf8))
        #expect(other?.code == "ValidationException")
        #expect(other?.message == "bad")
        #expect(AWSServiceClient.jsonError(Array(#"{"__type":"InternalFailure"}"#.utf8))?.message == "")
        // Signature failures come back as XML even from JSON services.
        let signature = Array("<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error></ErrorResponse>".utf8)
        #expect(AWSServiceClient.jsonError(signature)?.code == "SignatureDoesNotMatch")
    }
}
