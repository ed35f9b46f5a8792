import Foundation
import Inventory
import Terraform

/// Where the state is, as the user asked (`--state`, `FLEETFORM_STATE`), with the name
/// of what they asked with, for errors.
public struct StateRequest: Sendable, Equatable {
    public var location: StateLocation
    /// `--state` or `FLEETFORM_STATE`.
    public var origin: String

    public init(location: StateLocation, origin: String) {
        self.location = location
        self.origin = origin
    }
}

/// The one rule for where a run keeps state: the location recorded in the database.
///
/// The first run records what it was given (or `local`); a later run given another
/// location is refused, because terraform would start from an empty state there and
/// create every account's objects again. Only `state migrate` changes the record, after
/// it moved the state.
enum StateSetting {
    /// Where a run keeps its state: the recorded location, or, when none is recorded
    /// yet, `requested` (or local) with its region resolved, to be recorded by `record`
    /// once terraform was found able to use it (an old terraform refused with S3 state
    /// must not leave S3 recorded for a home that never used it). Call under the run lock.
    static func resolve(
        _ requested: StateRequest?, database: any InventoryStore, environment: [String: String]
    ) throws -> (location: StateLocation, recorded: Bool) {
        guard let text = try database.recordedStateLocation() else {
            return ((requested?.location ?? .local).resolvingRegion(environment: environment), false)
        }
        let recorded = try parseRecorded(text)
        if let requested, !requested.location.names(recorded) {
            throw OnboardingFailure(.usage, """
                \(requested.origin) \(requested.location): this home's state is recorded at \(recorded); \
                run fleetform state migrate --to \(requested.location) to move it, or drop \(requested.origin)
                """)
        }
        return (recorded, true)
    }

    /// Records the location a first run uses, and answers the one to use: of two first
    /// runs started together (in two homes sharing a database), the first one recorded wins.
    static func record(_ location: StateLocation, database: any InventoryStore) throws -> StateLocation {
        try parseRecorded(try database.recordStateLocationIfUnset(location.description))
    }

    /// The recorded location, or local when none is recorded yet (what a run would use).
    static func current(database: any InventoryStore) throws -> StateLocation {
        guard let text = try database.recordedStateLocation() else { return .local }
        return try parseRecorded(text)
    }

    private static func parseRecorded(_ text: String) throws(OnboardingFailure) -> StateLocation {
        do {
            return try StateLocation(parsing: text)
        } catch {
            throw OnboardingFailure(.failure, "the recorded state location is not valid: \(error)")
        }
    }
}
