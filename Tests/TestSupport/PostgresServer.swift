import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A PostgreSQL server of its own for tests, the way `MotoServer` is moto: `initdb` into
/// a temporary directory, `postgres` on a free port on 127.0.0.1 with its unix socket in
/// that directory, one database created; stopped and removed afterwards.
///
///     let postgres = try PostgresServer.start()
///     defer { postgres.stop() }
///     // --database postgres.url
///
/// initdb and postgres refuse to run as root, and CI runs as root: then both run as the
/// `postgres` user (which Debian's package creates) through `setpriv`, which execs
/// rather than forks, so the pid this class signals is the postmaster's own, on a
/// directory chowned to that user. Missing binaries fail the test, naming the package.
public final class PostgresServer: Sendable {
    public let port: Int
    /// The role every test connects as (trust authentication on loopback only).
    public static let user = "fleetform"
    public let database: String
    private let process: BackgroundProcess
    private let directory: TemporaryDirectory
    private let binaries: URL
    private let account: ServiceAccount?

    /// `postgres://fleetform@127.0.0.1:PORT/DATABASE`.
    public var url: String { url(database: database) }

    public func url(database: String) -> String {
        "postgres://\(Self.user)@127.0.0.1:\(port)/\(database)"
    }

    /// Everything the server logged, for diagnosing a failed test.
    public var log: String { process.log }

    private init(port: Int, database: String, process: BackgroundProcess, directory: TemporaryDirectory, binaries: URL,
                 account: ServiceAccount?) {
        self.port = port
        self.database = database
        self.process = process
        self.directory = directory
        self.binaries = binaries
        self.account = account
    }

    /// Initialises a cluster, starts it and creates `database`. Throws when the
    /// PostgreSQL server binaries are missing, or the server does not come up within
    /// `timeout` seconds.
    public static func start(database: String = "fleetform_test", timeout: Double = 60) throws -> PostgresServer {
        let binaries = try serverBinaries()
        let directory = try TemporaryDirectory("fleetform-postgres")
        let account = try ServiceAccount.forServer()
        if let account {
            guard chown(directory.path, account.uid, account.gid) == 0 else {
                throw TestEnvironmentError("chown \(directory.path) to postgres: \(String(cString: strerror(errno)))")
            }
        }
        let data = directory.url.appendingPathComponent("data")
        // --no-sync: a test cluster need not survive a power loss, and fsync is most of
        // initdb's time on a busy disk.
        try run(binaries.appendingPathComponent("initdb"), ["-D", data.path, "-U", user, "--auth=trust", "-E", "UTF8",
                                                           "--locale=C", "--no-sync"],
                as: account, log: directory.url.appendingPathComponent("initdb.log"))
        var lastProblem = ""
        for attempt in 1...3 {
            let port = try LoopbackNetwork.freePort()
            let (executable, arguments) = command(
                binaries.appendingPathComponent("postgres"),
                ["-D", data.path, "-h", "127.0.0.1", "-p", String(port), "-k", directory.path,
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "max_connections=200"],
                as: account)
            let process = try BackgroundProcess(
                name: "postgres", executable: executable, arguments: arguments,
                logFile: directory.url.appendingPathComponent("postgres-\(attempt).log"))
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline, process.isRunning {
                if ready(binaries: binaries, port: port) {
                    let server = PostgresServer(port: port, database: database, process: process, directory: directory,
                                                binaries: binaries, account: account)
                    try server.createDatabase(database)
                    return server
                }
                usleep(100_000)
            }
            if process.isRunning {
                process.stop()
                throw TestEnvironmentError(
                    "postgres did not accept connections on 127.0.0.1:\(port) within \(Int(timeout)) s; its log:\n\(process.logTail())")
            }
            lastProblem = "postgres exited with status \(process.terminationStatus ?? -1) on port \(port); its log:\n\(process.logTail())"
            if !process.log.localizedCaseInsensitiveContains("address already in use") { break }
        }
        throw TestEnvironmentError(lastProblem)
    }

    /// One server for the whole test process, for suites that want a fresh database per
    /// test without an initdb each (`createDatabase`); stopped when the process exits.
    public static func shared() throws -> PostgresServer {
        try sharedServer.get()
    }

    private static let sharedServer: Result<PostgresServer, TestEnvironmentError> = {
        do {
            let server = try PostgresServer.start(database: "fleetform_shared")
            atexit { try? PostgresServer.sharedServer.get().stop() }
            return .success(server)
        } catch let error as TestEnvironmentError {
            return .failure(error)
        } catch {
            return .failure(TestEnvironmentError("\(error)"))
        }
    }()

    /// Creates an empty database and answers its URL.
    @discardableResult
    public func createDatabase(_ name: String) throws -> String {
        try Self.run(binaries.appendingPathComponent("createdb"),
                     ["-h", "127.0.0.1", "-p", String(port), "-U", Self.user, name], as: nil,
                     log: directory.url.appendingPathComponent("createdb-\(name).log"))
        return url(database: name)
    }

    /// A new database with a unique name, for one test.
    public func freshDatabase(_ label: String = "t") throws -> String {
        try createDatabase("\(label)_\(UUID().uuidString.prefix(8).lowercased())")
    }

    /// Runs SQL through psql against `database` (this server's own when nil), for tests
    /// that set up what fleetform would never write.
    public func psql(_ sql: String, database: String? = nil) throws {
        try Self.run(binaries.appendingPathComponent("psql"),
                     ["-h", "127.0.0.1", "-p", String(port), "-U", Self.user, "-v", "ON_ERROR_STOP=1", "-q",
                      "-d", database ?? self.database, "-c", sql], as: nil,
                     log: directory.url.appendingPathComponent("psql.log"))
    }

    /// What a query prints, unaligned and without headers (`psql -t -A`), trimmed.
    public func value(_ sql: String, database: String? = nil) throws -> String {
        try Self.run(binaries.appendingPathComponent("psql"),
                     ["-h", "127.0.0.1", "-p", String(port), "-U", Self.user, "-v", "ON_ERROR_STOP=1", "-q", "-t", "-A",
                      "-d", database ?? self.database, "-c", sql], as: nil, log: nil)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fast shutdown (SIGINT: clients are disconnected, no waiting for them), then
    /// SIGTERM/SIGKILL if it lingers; then the cluster's directory is removed (the
    /// shared server's directory outlives every reference to it). Safe to call more
    /// than once.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGINT)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(50_000) }
        }
        process.stop()
        try? FileManager.default.removeItem(at: directory.url)
    }

    deinit {
        stop()
    }

    // MARK: Finding and running the binaries

    /// The directory holding initdb and postgres: PATH first, else Debian's
    /// `/usr/lib/postgresql/<version>/bin` (the newest).
    static func serverBinaries() throws -> URL {
        if let initdb = ExecutableSearch.find("initdb") {
            let directory = initdb.resolvingSymlinksInPath().deletingLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("postgres").path) {
                return directory
            }
        }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = root.appendingPathComponent(version).appendingPathComponent("bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path),
               FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("postgres").path) {
                return bin
            }
        }
        throw TestEnvironmentError(
            "PostgreSQL server binaries (initdb, postgres) not found on PATH nor under /usr/lib/postgresql/*/bin; install the postgresql package (scripts/setup does)")
    }

    private static func ready(binaries: URL, port: Int) -> Bool {
        (try? run(binaries.appendingPathComponent("pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port)],
                  as: nil, log: nil)) != nil
    }

    /// `executable arguments`, or the same through `setpriv` as `account`.
    private static func command(_ executable: URL, _ arguments: [String], as account: ServiceAccount?)
        -> (URL, [String]) {
        guard let account else { return (executable, arguments) }
        return (account.setpriv, ["--reuid=\(account.uid)", "--regid=\(account.gid)", "--init-groups", "--",
                                  executable.path] + arguments)
    }

    /// Runs a command to its end; a non-zero exit is an error quoting its output.
    @discardableResult
    private static func run(_ executable: URL, _ arguments: [String], as account: ServiceAccount?, log: URL?) throws -> String {
        let (path, argv) = command(executable, arguments, as: account)
        let process = Process()
        process.executableURL = path
        process.arguments = argv
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        if account != nil {
            // A directory the postgres user can enter: initdb looks at its working directory.
            process.currentDirectoryURL = URL(fileURLWithPath: "/")
        }
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if let log { try? Data(text.utf8).write(to: log) }
        guard process.terminationStatus == 0 else {
            throw TestEnvironmentError("\(executable.lastPathComponent) exited with \(process.terminationStatus): \(text)")
        }
        return text
    }
}

/// The unprivileged user the server runs as when the tests run as root.
private struct ServiceAccount: Sendable {
    var uid: uid_t
    var gid: gid_t
    var setpriv: URL

    /// Nil when not root (the server runs as the test's own user).
    static func forServer() throws -> ServiceAccount? {
        guard getuid() == 0 else { return nil }
        guard let entry = getpwnam("postgres") else {
            throw TestEnvironmentError(
                "the tests run as root, and initdb/postgres refuse to: a 'postgres' user is needed to run them as; install the postgresql package (scripts/setup does)")
        }
        guard let setpriv = ExecutableSearch.find("setpriv") ?? ["/usr/bin/setpriv", "/bin/setpriv"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }).map({ URL(fileURLWithPath: $0) }) else {
            throw TestEnvironmentError("setpriv (util-linux) not found: needed to run postgres as the postgres user under root")
        }
        return ServiceAccount(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid, setpriv: setpriv)
    }
}
