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
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // FileDescriptor and FilePath for Subprocess, which uses but does not re-export them.
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/CoreOffice/XMLCoder", from: "0.18.2"),
        // The PostgreSQL store of team mode (DESIGN.md chooses postgres-nio): a pure-Swift
        // client on SwiftNIO, no libpq to install beside the binary.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // MARK: Executable

        /// The `@main` entry point; it only hands over to `FleetformCLI`.
        .executableTarget(
            name: "fleetform",
            dependencies: ["FleetformCLI"]
        ),

        // MARK: Command line

        /// Argument parsing, output formatting (table, JSON, CSV, progress) and exit codes.
        .target(
            name: "FleetformCLI",
            dependencies: [
                "Onboarding",
                "Inventory",
                "Terraform",
                "AWSClient",
                "AkeylessClient",
                "FleetformBasics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Use cases

        /// Apply, plan, retry, destroy, discover, verify, export: the scheduler that runs
        /// one job per account, and the use cases that read AWS.
        .target(
            name: "Onboarding",
            dependencies: ["Inventory", "Terraform", "AWSClient", "AkeylessClient", "FleetformBasics"]
        ),

        // MARK: Inventory

        /// The store behind one protocol: SQLite through GRDB (embedded default) and PostgreSQL
        /// through postgres-nio (team mode); migrations per dialect, records, runs and jobs, the
        /// run lock, the inventory file format. The only target that imports GRDB or PostgresNIO.
        .target(
            name: "Inventory",
            dependencies: [
                "FleetformBasics",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),

        // MARK: Terraform

        /// Rendering per-account workspaces from a template and running `terraform` in them.
        .target(
            name: "Terraform",
            dependencies: [
                "FleetformBasics",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // MARK: AWS

        /// Our own small AWS client: SigV4, the credential chain, Organizations / STS / IAM, retries.
        .target(
            name: "AWSClient",
            dependencies: [
                "FleetformBasics",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "XMLCoder", package: "XMLCoder"),
            ]
        ),

        // MARK: Akeyless

        /// Our own small Akeyless API client: login (access key or AWS IAM cloud id), the
        /// target and AWS IAM auth-method operations, retries. Knows nothing of Terraform or SQLite.
        .target(
            name: "AkeylessClient",
            dependencies: ["AWSClient", "FleetformBasics"]
        ),

        // MARK: Basics

        /// A strict JSON parser and writer that keep key order and number text.
        .target(
            name: "FleetformBasics"
        ),

        // MARK: Tests

        /// Helpers every test target shares: temporary homes, running the built binary.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "FleetformBasicsTests",
            dependencies: ["FleetformBasics"]
        ),
        .testTarget(
            name: "InventoryTests",
            dependencies: ["Inventory", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .testTarget(
            name: "TerraformTests",
            dependencies: ["Terraform", "FleetformBasics", "TestSupport"]
        ),
        .testTarget(
            name: "AWSClientTests",
            dependencies: ["AWSClient", "TestSupport"]
        ),
        .testTarget(
            name: "AkeylessClientTests",
            dependencies: ["AkeylessClient", "TestSupport"]
        ),
        .testTarget(
            name: "OnboardingTests",
            dependencies: ["Onboarding", "Inventory", "Terraform", "AWSClient", "AkeylessClient", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "FleetformCLITests",
            // Depending on the executable makes `swift test` build it for the end-to-end tests.
            dependencies: ["FleetformCLI", "fleetform", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
