import FleetformBasics

/// An error AWS answered with, or a request that could not be made. Names the service,
/// the operation, the AWS error code and message; never a credential.
///
/// Every textual form leads with the cause (`AccessDenied: User … is not authorized …`)
/// and ends with where it happened in parentheses (`(STS AssumeRole)`), because status
/// tables cut errors to about 40 characters and the cause is what must survive the cut.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    public var service: String
    public var operation: String
    /// The AWS error code (`AccessDenied`, `TooManyRequestsException`), or one of the
    /// `clientCodes` when no usable answer came.
    public var code: String
    public var message: String
    public var httpStatus: Int?
    /// What the call was about, when that helps find it: the parent ID of a listing.
    public var resource: String?
    /// What fleetform did about it, e.g. that retries stopped because the budget was used up.
    public var note: String?

    public init(
        service: String, operation: String, code: String, message: String, httpStatus: Int? = nil,
        resource: String? = nil, note: String? = nil
    ) {
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.resource = resource
        self.note = note
    }

    /// Codes fleetform gives failures that happened on this side. Their message says
    /// everything (`cannot connect to http://127.0.0.1:4566 (connection refused); …`), so
    /// the code is not repeated in front of it.
    public static let clientCodes: Set<String> = [
        networkError, connectionRefused, requestDeadlineExceeded, paginationLoop, tooManyPages,
    ]
    public static let networkError = "NetworkError"
    public static let connectionRefused = "ConnectionRefused"
    public static let requestDeadlineExceeded = "RequestDeadlineExceeded"
    public static let paginationLoop = "PaginationLoop"
    public static let tooManyPages = "TooManyPages"

    /// What went wrong, without where: `AccessDenied: not authorized`, with the advice
    /// and the note after it.
    public var cause: String {
        // The code and message come from a server: nothing in them may steer a terminal.
        let code = UnsafeText.escaped(self.code), message = UnsafeText.escaped(self.message)
        var text: String
        if message.isEmpty {
            text = code
        } else if Self.clientCodes.contains(code) {
            text = message
        } else {
            text = "\(code): \(message)"
        }
        if let advice { text += "; \(advice)" }
        if let note { text += "; \(note)" }
        return text
    }

    /// `STS AssumeRole`, `Organizations ListAccountsForParent ou-ab12-cd34ef56`.
    public var call: String {
        [service, operation, resource].compactMap { $0 }.map(UnsafeText.escaped).joined(separator: " ")
    }

    /// `<cause> (<call>)`.
    public var description: String {
        "\(cause) (\(call))"
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
        "InternalError", "InternalServerError", "ServiceFailure", "ServiceException", networkError,
        requestDeadlineExceeded,
    ]
}

/// One line for a failure recorded against an account or printed for a command: the
/// cause first, then what was being done in parentheses,
/// `AccessDenied: User … is not authorized … (assuming arn:aws:iam::123456789012:role/R)`.
///
/// The one place every AWS use case (preflight, verify, discovery) formats its errors,
/// so that the first 40 characters a status table keeps say what went wrong.
public enum FailureLine {
    /// - Parameter context: what was being done (`assuming <role ARN>`); nil names the AWS call.
    public static func text(_ error: any Error, context: String? = nil) -> String {
        guard let context else { return "\(error)" }
        if let error = error as? AWSError { return "\(error.cause) (\(context))" }
        return "\(error) (\(context))"
    }
}
