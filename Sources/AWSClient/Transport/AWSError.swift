import Foundation

/// An error AWS answered with, or a request that could not be made. Names the service,
/// the operation, the AWS error code and message; never a credential.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    public var service: String
    public var operation: String
    /// The AWS error code (`AccessDenied`, `TooManyRequestsException`), or a local one
    /// (`NetworkError`) when no answer came.
    public var code: String
    public var message: String
    public var httpStatus: Int?

    public init(service: String, operation: String, code: String, message: String, httpStatus: Int? = nil) {
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    public var description: String {
        var text = "\(service) \(operation): \(code)"
        if !message.isEmpty { text += ": \(message)" }
        if let advice { text += " (\(advice))" }
        return text
    }

    /// What the user should check, for the errors whose cause is nearly always local.
    public var advice: String? {
        switch code {
        case "SignatureDoesNotMatch":
            "the secret access key does not match the access key ID: check AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key, and the system clock"
        case "InvalidClientTokenId", "UnrecognizedClientException":
            "the access key ID is not known to AWS: check AWS_ACCESS_KEY_ID or the profile, and that the key was not deleted"
        case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
            "the session credentials have expired: refresh them (aws sso login, or new temporary credentials) and run again"
        case "AccessDenied", "AccessDeniedException":
            nil
        default:
            nil
        }
    }

    /// Throttling and server-side failures, worth repeating after a pause. Organizations
    /// throttles with `TooManyRequestsException` on HTTP 400, so codes decide, not status alone.
    public var isRetryable: Bool {
        if Self.retryableCodes.contains(code) { return true }
        if let httpStatus, httpStatus == 429 || (500...599).contains(httpStatus) { return true }
        return false
    }

    static let retryableCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
        "RequestThrottled", "RequestThrottledException", "SlowDown", "ProvisionedThroughputExceededException",
        "PriorRequestNotComplete", "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure",
        "InternalError", "InternalServerError", "ServiceFailure", "ServiceException", "NetworkError",
    ]
}
