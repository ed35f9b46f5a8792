import Terraform

/// Turns terraform's `EntityAlreadyExists` failures (an object created by hand, or by
/// the seed's single-account Terraform) into one line that leads with the cause, names
/// the objects and the account, and says what to run:
/// `EntityAlreadyExists: role terraform-akeyless-role already exists in 123456789012; run apply --adopt to take it over`.
enum AlreadyExistsHint {
    static let code = "EntityAlreadyExists"

    /// The line, or nil when no error of the report is an `EntityAlreadyExists`.
    static func message(for report: TerraformReport, accountID: String) -> String? {
        let clashes = report.diagnostics.filter { $0.severity == "error" && "\($0.summary) \($0.detail)".contains(code) }
        guard !clashes.isEmpty else { return nil }
        var objects: [String] = []
        for clash in clashes {
            let object = describedObject(clash.summary) ?? describedObject(clash.detail) ?? "an IAM object"
            if !objects.contains(object) { objects.append(object) }
        }
        let verb = objects.count == 1 ? "exists" : "exist"
        return "\(code): \(list(objects)) already \(verb) in \(accountID); run apply --adopt to take it over"
    }

    /// `role NAME` from the aws provider's "creating IAM Role (NAME): …".
    private static func describedObject(_ text: String) -> String? {
        guard let match = text.firstMatch(of: /creating IAM (Role|Policy|Instance Profile) \(([^)]+)\)/) else { return nil }
        return "\(match.1.lowercased()) \(match.2)"
    }

    private static func list(_ items: [String]) -> String {
        items.count <= 2 ? items.joined(separator: " and ")
            : items.dropLast().joined(separator: ", ") + " and " + items.last!
    }
}
