/// One SQL migration compiled into the binary (see `scripts/embed-resources`).
public struct EmbeddedMigration: Sendable, Equatable {
    /// The file name without `.sql`, e.g. `0001_accounts`; recorded once applied (by GRDB in `grdb_migrations`, by the PostgreSQL store in `fleetform_migrations`).
    public var name: String
    public var sql: String

    /// Every SQLite migration (`migrations/*.sql`), in the order they are applied.
    public static var all: [EmbeddedMigration] { embeddedMigrations }

    /// Every PostgreSQL migration (`migrations/postgres/*.sql`), in the order they are applied.
    public static var postgres: [EmbeddedMigration] { embeddedPostgresMigrations }
}
