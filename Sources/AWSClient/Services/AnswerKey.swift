/// A member name of an AWS answer as the decoders see it, for names known only at run
/// time (the list of an Organizations page, the result of a Query action).
///
/// AWS names members in PascalCase (`NextToken`, `PolicyArn`); both decoders give them a
/// lower-case first letter (`nextToken`, `policyArn`), so that Swift properties match
/// them without coding keys. XMLCoder's `convertFromCapitalized` does it for XML, and
/// `AnswerKey.lowercasingFirstLetter` for JSON, the same way.
struct AnswerKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        nil
    }

    /// The key the decoders match `awsName` (`NextToken`) against: `nextToken`.
    init(awsName: String) {
        stringValue = awsName.prefix(1).lowercased() + awsName.dropFirst()
    }

    /// JSONDecoder's counterpart of XMLCoder's `convertFromCapitalized`.
    static let lowercasingFirstLetter: @Sendable ([any CodingKey]) -> any CodingKey = { path in
        AnswerKey(awsName: path.last?.stringValue ?? "")
    }
}
