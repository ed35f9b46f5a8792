import GRDB

extension Row {
    /// A stored enum value. One this binary does not know is an error naming the row,
    /// never a default: a guess could onboard or destroy the wrong account.
    func decoded<Value: RawRepresentable>(
        _ column: String, table: String, key: @autoclosure () -> String
    ) throws -> Value where Value.RawValue == String {
        try Self.decode(self[column] as String, column: column, table: table, key: key())
    }

    /// Like `decoded`, for a column that may be NULL.
    func decodedIfPresent<Value: RawRepresentable>(
        _ column: String, table: String, key: @autoclosure () -> String
    ) throws -> Value? where Value.RawValue == String {
        guard let text: String = self[column] else { return nil }
        return try Self.decode(text, column: column, table: table, key: key())
    }

    private static func decode<Value: RawRepresentable>(
        _ text: String, column: String, table: String, key: @autoclosure () -> String
    ) throws -> Value where Value.RawValue == String {
        guard let value = Value(rawValue: text) else {
            throw InventoryRowError(table: table, key: key(), column: column, value: text)
        }
        return value
    }
}
