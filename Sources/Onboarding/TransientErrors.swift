import Terraform

/// Decides whether a failed terraform attempt is worth repeating: throttling, network
/// hiccups and state-lock contention pass; bad credentials, denied access and invalid
/// configuration do not, and repeating them only wastes minutes.
public enum TransientErrors {
    /// Lower-cased fragments of messages that mean "try again later".
    static let transientMarkers = [
        "throttling", "throttled", "rate exceeded", "requestlimitexceeded", "toomanyrequestsexception",
        "slowdown", "provisionedthroughputexceeded", "request limit exceeded",
        "connection reset", "connection refused", "broken pipe", "i/o timeout", "tls handshake timeout",
        "timeout awaiting response headers", "no such host", "temporary failure in name resolution",
        "unexpected eof", "serviceunavailable", "service unavailable", "internalfailure", "internalerror",
        "status code: 500", "status code: 502", "status code: 503", "status code: 504",
        "statuscode: 500", "statuscode: 502", "statuscode: 503", "statuscode: 504",
        "error acquiring the state lock", "concurrentmodification",
        // hashicorp/terraform#31964: another init was installing the same provider into the cache.
        "it is still not detected in",
    ]

    /// Markers that make a failure permanent even if a transient marker also appears
    /// (an AccessDenied message can mention a retry).
    static let permanentMarkers = [
        "accessdenied", "access denied", "unauthorizedoperation", "invalidclienttokenid", "signaturedoesnotmatch",
        "expiredtoken", "no valid credential sources", "entityalreadyexists", "malformedpolicydocument",
        "invalid value for variable", "unsupported argument", "reference to undeclared",
        // A state file that cannot be read comes back as "Error acquiring the state lock";
        // waiting does not repair it.
        "unsupported state file format",
    ]

    /// Whether `report` (and, for errors printed outside diagnostics, `text`) shows a
    /// transient failure.
    public static func isTransient(report: TerraformReport, text: String = "") -> Bool {
        let messages = report.diagnostics.filter { $0.severity == "error" }.map { "\($0.summary) \($0.detail)" }
        let haystack = (messages + [text]).joined(separator: "\n").lowercased()
        if permanentMarkers.contains(where: haystack.contains) { return false }
        return transientMarkers.contains(where: haystack.contains)
    }
}
