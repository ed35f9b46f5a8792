import FleetformCLI

/// The `fleetform` executable: everything it does lives in `FleetformCLI` and below.
@main
enum Entrypoint {
    static func main() async {
        await FleetformCommand.main()
    }
}
