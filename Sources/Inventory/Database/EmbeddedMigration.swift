/// One SQL migration compiled into the binary (see `scripts/embed-resources`).
public struct EmbeddedMigration: Sendable, Equatable {
    /// The file name without `.sql`, e.g. `0001_accounts`; recorded by GRDB once applied.
    public var name: String
    public var sql: String

    /// Every migration, in the order they are applied.
    public static var all: [EmbeddedMigration] { embeddedMigrations }
}
