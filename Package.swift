// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "fleetform",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fleetform", targets: ["fleetform"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // MARK: Executable

        /// The `@main` entry point; it only hands over to `FleetformCLI`.
        .executableTarget(
            name: "fleetform",
            dependencies: ["FleetformCLI"]
        ),

        // MARK: Command line

        /// Argument parsing, output formatting (table, JSON, CSV) and exit codes.
        .target(
            name: "FleetformCLI",
            dependencies: [
                "Inventory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Inventory

        /// The SQLite inventory: migrations, account records, the inventory file format.
        .target(
            name: "Inventory",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),

        // MARK: Tests

        /// Helpers every test target shares: temporary homes, running the built binary.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "InventoryTests",
            dependencies: ["Inventory", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "FleetformCLITests",
            // Depending on the executable makes `swift test` build it for the end-to-end tests.
            dependencies: ["FleetformCLI", "fleetform", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
