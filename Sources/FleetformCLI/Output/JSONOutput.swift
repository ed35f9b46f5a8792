import FleetformBasics

/// The one shape of every `--json` document, so the commands cannot drift apart in spacing:
/// a top-level object on one line whose arrays hold one record per line, spaced, then a newline.
enum JSONOutput {
    static func render(_ document: JSONObject) -> String {
        JSONValue.object(document).serialized(.rows(.spaced)) + "\n"
    }
}
