import Testing
@testable import FleetformBasics

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    private func syntaxError(_ text: String) -> JSONSyntaxError? {
        do {
            _ = try JSONParser.parse(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesEveryKindOfValueAndKeepsKeyOrderAndNumberText() throws {
        let value = try parse(#"{"z": 1, "a": [true, false, null], "n": -0.5e3, "s": "x", "id": 12}"#)
        guard case .object(let object) = value else { Issue.record("not an object"); return }
        #expect(object.members.map(\.key) == ["z", "a", "n", "s", "id"])
        #expect(object["a"] == .array([.bool(true), .bool(false), .null]))
        #expect(object["n"] == .number("-0.5e3"))
        #expect(object["id"] == .number("12"))
        #expect(object["s"] == .string("x"))
    }

    @Test func keepsDuplicateKeysForTheValidator() throws {
        guard case .object(let object) = try parse(#"{"a": 1, "a": 2}"#) else { Issue.record("not an object"); return }
        #expect(object.members.map(\.key) == ["a", "a"])
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try parse(#"["tab\there", "quote\"", "\u00e9", "\ud83d\ude00", "slash\/"]"#)
        #expect(value == .array([.string("tab\there"), .string("quote\""), .string("é"), .string("😀"), .string("slash/")]))
    }

    @Test func reportsLineAndColumnOfSyntaxErrors() {
        let error = syntaxError("{\n  \"a\": 1,\n  \"b\" 2\n}")
        #expect(error == JSONSyntaxError(message: "unexpected '2'; expected ':'", line: 3, column: 7))
    }

    @Test(arguments: [
        ("", "the file is empty; expected a JSON object"),
        ("   \n", "the file is empty; expected a JSON object"),
        ("{\"a\": 1} x", "unexpected 'x' after the end of the JSON document"),
        ("[1, 2", "unexpected end of file; expected ',' or ']'"),
        ("{\"a\": 01}", "invalid number: leading zeros are not allowed in JSON numbers"),
        ("[\"a\nb\"]", "control character in a string; write it as an escape such as \\n"),
        ("[\"abc", "unterminated string"),
        ("[\"\\x\"]", "invalid escape '\\x' in a string"),
        ("[\"\\ud800\"]", "unpaired UTF-16 surrogate in \\u escape"),
        ("[tru]", "unexpected 't'; expected a value"),
        ("{a: 1}", "unexpected 'a'; expected a quoted key"),
        ("[1,]", "unexpected ']'; expected a value"),
    ])
    func rejectsInvalidDocuments(text: String, message: String) {
        #expect(syntaxError(text)?.message == message)
    }

    @Test func rejectsInvalidUTF8() {
        let error: JSONSyntaxError?
        do {
            _ = try JSONParser.parse([UInt8(ascii: "\""), 0xFF, UInt8(ascii: "\"")])
            error = nil
        } catch let caught {
            error = caught
        }
        #expect(error?.message == "invalid UTF-8 in a string")
    }

    @Test func refusesNestingBeyondTheLimit() {
        let deep = String(repeating: "[", count: JSONParser.maximumDepth + 1) + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect(syntaxError(deep)?.message == "nesting deeper than \(JSONParser.maximumDepth) levels")
        let fine = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(syntaxError(fine) == nil)
    }

    @Test func jsonTextRoundTripsThroughTheParser() throws {
        let text = JSONValue.string("a \"quoted\" \\ path\n\u{01}é").serialized()
        #expect(text == #""a \"quoted\" \\ path\n\u0001é""#)
        #expect(try parse(text) == .string("a \"quoted\" \\ path\n\u{01}é"))
    }
}
