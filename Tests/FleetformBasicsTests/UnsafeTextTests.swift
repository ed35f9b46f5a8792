import FleetformBasics
import Testing

@Suite struct UnsafeTextTests {
    @Test func controlAndBidirectionalScalarsAreUnsafe() {
        let unsafe: [UInt32] = Array(0x00...0x1F) + [0x7F] + Array(0x80...0x9F) + Array(0x202A...0x202E)
            + Array(0x2066...0x2069) + [0x200E, 0x200F, 0x061C]
        for value in unsafe {
            #expect(UnsafeText.isUnsafe(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
        for value: UInt32 in [0x20, 0x41, 0x7E, 0xA0, 0xE9, 0x200B, 0x200D, 0x2029, 0x2065, 0x206A, 0x202F, 0x1F600] {
            #expect(!UnsafeText.isUnsafe(Unicode.Scalar(value)!), "U+\(String(value, radix: 16))")
        }
    }

    @Test func findsTheFirstUnsafeScalar() {
        #expect(UnsafeText.firstUnsafeScalar(in: "payments-prod") == nil)
        #expect(UnsafeText.firstUnsafeScalar(in: "café") == nil)
        #expect(UnsafeText.firstUnsafeScalar(in: "a\u{202E}b\u{7}") == "\u{202E}")
        #expect(UnsafeText.firstUnsafeScalar(in: "tab\there") == "\t")
    }

    @Test func escapesOnlyUnsafeScalars() {
        #expect(UnsafeText.escaped("plain, café") == "plain, café")
        #expect(UnsafeText.escaped("pay\u{202E}tnem\u{1B}[2J\u{85}\n") == #"pay\u{202E}tnem\u{1B}[2J\u{85}\u{A}"#)
    }
}
