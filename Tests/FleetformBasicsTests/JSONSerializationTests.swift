import Testing
@testable import FleetformBasics

@Suite struct JSONSerializationTests {
    /// Members deliberately out of alphabetical order: the serializer must keep them as built.
    private let document: JSONValue = .object([
        "z": JSONValue(1), "rows": .array([.object(["a": JSONValue("x"), "b": JSONValue(nil)]), .array([])]),
        "flags": .array([JSONValue(true), JSONValue(false)]), "empty": .object([:]), "n": .number("-0.5e3"),
    ])

    @Test func eachLayoutSpacesTheSameDocumentItsOwnWay() {
        #expect(document.serialized(.compact)
            == #"{"z":1,"rows":[{"a":"x","b":null},[]],"flags":[true,false],"empty":{},"n":-0.5e3}"#)
        #expect(document.serialized(.spaced)
            == #"{"z": 1, "rows": [{"a": "x", "b": null}, []], "flags": [true, false], "empty": {}, "n": -0.5e3}"#)
        #expect(document.serialized(.pretty) == #"""
            {
              "z": 1,
              "rows": [
                {
                  "a": "x",
                  "b": null
                },
                []
              ],
              "flags": [
                true,
                false
              ],
              "empty": {},
              "n": -0.5e3
            }
            """#)
        #expect(document.serialized(.rows(.spaced)) == #"""
            {"z": 1, "rows": [
              {"a": "x", "b": null},
              []
            ], "flags": [
              true,
              false
            ], "empty": {}, "n": -0.5e3}
            """#)
        #expect(document.serialized(.rows(.compact)).contains("\n  {\"a\":\"x\",\"b\":null},\n"))
        #expect(document.serialized() == document.serialized(.compact))
        #expect(document.serialized(pretty: true) == document.serialized(.pretty))
    }

    @Test func rowsOfAnythingButAnObjectAreSpaced() {
        let array: JSONValue = .array([JSONValue(1), JSONValue("a")])
        #expect(array.serialized(.rows(.compact)) == #"[1, "a"]"#)
        #expect(JSONValue.object([:]).serialized(.rows(.spaced)) == "{}")
        #expect(JSONValue.object(["accounts": .array([])]).serialized(.rows(.spaced)) == #"{"accounts": []}"#)
    }

    @Test func escapesWhatRFC8259RequiresAndNothingElse() throws {
        let text = "a \"quoted\" \\ path\n\r\t\u{01}\u{1F} é 日本 \u{7F}/"
        let quoted = JSONValue(text).serialized()
        #expect(quoted == #""a \"quoted\" \\ path\n\r\t\u0001\u001f é 日本 \#u{7F}/""#)
        #expect(try JSONParser.parse(Array(quoted.utf8)) == .string(text))
        // Keys go through the same escaping.
        #expect(JSONValue.object([text: .null]).serialized() == "{\(quoted):null}")
    }

    @Test func builderKeepsLiteralOrderAndDuplicates() {
        let object: JSONObject = ["b": .null, "a": JSONValue(2), "b": JSONValue(false)]
        #expect(object.members.map(\.key) == ["b", "a", "b"])
        #expect(object["b"] == .null)
        #expect(JSONValue(Optional<String>.none) == .null)
        #expect(JSONValue(-12) == .number("-12"))
    }
}
