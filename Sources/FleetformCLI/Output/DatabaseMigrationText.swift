import Inventory

/// What `database migrate` prints: the rows copied per table, then what to do next.
enum DatabaseMigrationText {
    static func summary(_ report: StoreCopy.Report) -> String {
        let width = report.tables.map(\.table.count).max() ?? 0
        var text = "database migrate: copied \(report.source) into \(report.target)\n"
        for count in report.tables {
            text += "  \(count.table.padding(toLength: width, withPad: " ", startingAt: 0))  \(count.rows)\n"
        }
        text += """
            The SQLite file is left as it was; from now on use the database, never the file:
              every command and worker: --database \(report.target) (or FLEETFORM_DATABASE_URL)

            """
        switch report.stateLocation {
        case .some(let location) where location.hasPrefix("s3://"):
            text += "The state stays recorded at \(location), which every machine can reach.\n"
        case .some(let location):
            text += """
                The state stays recorded at \(location) (this home's state/ directory), which other machines cannot \
                reach; move it with:
                  fleetform state migrate --to s3://BUCKET/PREFIX --database \(report.target)

                """
        case .none:
            text += "No run recorded a state location yet; the first run records --state (or local).\n"
        }
        return text
    }
}
