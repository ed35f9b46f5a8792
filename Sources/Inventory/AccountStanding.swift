/// Where one account stands: its onboarding status (the result of its latest job, or
/// `never_run`) and the ARNs of its role. "Status" is the value, "standing" the row.
public struct AccountStanding: Sendable, Equatable {
    public var accountID: String
    public var name: String
    public var ouPath: String
    public var region: String
    public var status: OnboardingStatus
    public var roleARN: String?
    public var policyARN: String?
    public var instanceProfileARN: String?
    public var lastRunID: String?
    public var attempts: Int
    public var error: String?
    /// The IAM objects `--adopt` took over in the account since it was last destroyed.
    public var adopted: [String]
    public var updatedAt: String
    /// Its Akeyless target and binding; nil when no sync ever wanted the account.
    public var akeyless: AkeylessRecord?

    public init(
        accountID: String, name: String, ouPath: String, region: String, status: OnboardingStatus,
        roleARN: String? = nil, policyARN: String? = nil, instanceProfileARN: String? = nil,
        lastRunID: String? = nil, attempts: Int = 0, error: String? = nil, adopted: [String] = [], updatedAt: String,
        akeyless: AkeylessRecord? = nil
    ) {
        self.akeyless = akeyless
        self.adopted = adopted
        self.accountID = accountID
        self.name = name
        self.ouPath = ouPath
        self.region = region
        self.status = status
        self.roleARN = roleARN
        self.policyARN = policyARN
        self.instanceProfileARN = instanceProfileARN
        self.lastRunID = lastRunID
        self.attempts = attempts
        self.error = error
        self.updatedAt = updatedAt
    }
}

/// How a list of adopted object kinds is stored: comma-separated, NULL for none.
enum AdoptedObjects {
    static func encode(_ kinds: [String]) -> String? {
        kinds.isEmpty ? nil : kinds.joined(separator: ",")
    }

    static func decode(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map(String.init)
    }
}

/// The status values `status --json` promises, in the order summaries list them.
public enum OnboardingStatus: String, Sendable, CaseIterable, Codable {
    case neverRun = "never_run"
    case pending
    case running
    case succeeded
    case failed
    case interrupted
    case skipped
    case destroyed
    case drifted
}

extension OnboardingStatus {
    /// An account's status after a job of it ended with `status` (a successful destroy
    /// is `destroyed`, decided where the job is recorded).
    public init(_ status: JobStatus) {
        switch status {
        case .pending: self = .pending
        case .running: self = .running
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        case .interrupted: self = .interrupted
        case .skipped: self = .skipped
        }
    }
}
