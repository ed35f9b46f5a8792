import Testing
@testable import FleetformBasics

@Suite struct TextRuleTests {
    @Test(arguments: ["us-east-1", "eu-central-2", "ap-southeast-3", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
                      "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "il-central-1"])
    func acceptsEveryPartitionsRegionForm(_ region: String) {
        #expect(AWSRegionName.isValid(region))
    }

    @Test(arguments: ["", "evil.com#", "us-east-1.evil.com", "us-east-1/", "US-EAST-1", "us-east", "useast-1", "u-east-1",
                      "us--1", "us-east-", "-us-east-1", "us-east-1 ", "us-east-1\n", "us-east-x", "us_east_1",
                      "us-" + String(repeating: "a", count: 60) + "-1"])
    func refusesAnythingElse(_ region: String) {
        #expect(!AWSRegionName.isValid(region))
    }

    @Test func unsafeCharactersAreTheControlAndBidiSets() {
        let unsafe: [UInt32] = [0x00, 0x09, 0x0A, 0x1B, 0x1F, 0x7F, 0x80, 0x9B, 0x9F, 0x061C, 0x200E, 0x200F,
                                0x202A, 0x202E, 0x2066, 0x2069]
        for value in unsafe {
            #expect(UnsafeText.isUnsafe(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
        let safe: [UInt32] = [0x20, 0x41, 0x7E, 0xA0, 0xE9, 0x200D, 0x202F, 0x2065, 0x206A, 0x1F600]
        for value in safe {
            #expect(!UnsafeText.isUnsafe(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
    }

    @Test func escapingMakesUnsafeCharactersVisible() {
        #expect(UnsafeText.escaped("payments\u{202E}dorp") == #"payments\u{202E}dorp"#)
        #expect(UnsafeText.escaped("a\u{1B}[31mred\n") == #"a\u{1B}[31mred\u{A}"#)
        #expect(UnsafeText.escaped("\u{9B}\u{7F}") == #"\u{9B}\u{7F}"#)
        #expect(UnsafeText.escaped("Zürich – prod") == "Zürich – prod")
        #expect(!UnsafeText.containsUnsafe(UnsafeText.escaped("x\u{2067}y\u{0}")))
    }
}
