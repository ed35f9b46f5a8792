import Onboarding

/// What `state migrate` prints: a line per account as it finishes, then the outcome.
enum StateMigrationText {
    static func line(for event: StateMigration.Event) -> String {
        switch event {
        case .started(let from, let to, let accounts):
            return "state migrate: \(accounts) accounts from \(from) to \(to)\n"
        case .accountFinished(let result):
            switch result.outcome {
            case .moved(let state):
                return "moved     \(result.accountID)  serial \(state.serial), \(state.addresses.count) resources, verified\n"
            case .noState:
                return "no state  \(result.accountID)\n"
            case .failed(let error):
                return "failed    \(result.accountID)  \(error)\n"
            }
        }
    }

    static func summary(_ report: StateMigration.Report) -> String {
        let moved = report.accounts.filter { if case .moved = $0.outcome { true } else { false } }.count
        let empty = report.accounts.filter { $0.outcome == .noState }.count
        guard report.switched else {
            let failures = report.failures
            return """
                state migrate: \(failures.count) of \(report.accounts.count) accounts failed (first: \(failures[0].accountID)); \
                the state stays recorded at \(report.from), where every account's state still is; fix and run \
                fleetform state migrate --to \(report.to) again (logs: \(report.logDirectory.path))

                """
        }
        var text = "state migrate: \(moved) accounts moved and verified, \(empty) without state; the state is now recorded at \(report.to)\n"
        if report.renamed > 0 {
            text += "the old local state files were kept as state/<account>/terraform.tfstate.migrated (\(report.renamed)); delete them when you no longer need them\n"
        } else if report.from.isS3, moved > 0 {
            text += "the old copies stay in \(report.from); delete them when you no longer need them\n"
        }
        return text
    }
}
