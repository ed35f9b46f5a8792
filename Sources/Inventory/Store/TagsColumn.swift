import FleetformBasics

/// The text form of the `tags` and `account_tags` columns: a JSON object with keys
/// sorted, so two equal tag sets are equal strings and an unchanged re-import needs no
/// decoding to compare.
enum TagsColumn {
    static func encode(_ tags: [String: String]) -> String {
        JSONValue.object(JSONObject(sorted: tags.mapValues { .string($0) })).serialized(.compact)
    }

    /// Decodes what `encode` wrote; anything else (never written by fleetform) reads as no tags.
    static func decode(_ text: String) -> [String: String] {
        guard case .object(let object)? = try? JSONParser.parse(Array(text.utf8)) else { return [:] }
        var tags: [String: String] = [:]
        for member in object.members {
            if case .string(let value) = member.value { tags[member.key] = value }
        }
        return tags
    }
}
