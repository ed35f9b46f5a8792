import Crypto
import FleetformBasics

/// SHA-256 over a sequence of parts, each length-prefixed so that no two different
/// sequences hash alike ("ab" + "c" is not "a" + "bc"). The configuration hash and the
/// init fingerprint are both made this way, each with its own label.
struct PartsHash {
    private var hasher = SHA256()

    init(label: String) {
        add(label)
    }

    mutating func add(_ bytes: some Collection<UInt8>) {
        hasher.update(data: Array("\(bytes.count):".utf8))
        hasher.update(data: Array(bytes))
    }

    mutating func add(_ text: String) {
        add(text.utf8)
    }

    /// Every file of the template, path and contents.
    mutating func add(template: TerraformTemplate) {
        for file in template.files {
            add(file.path)
            add(file.contents)
        }
    }

    var hex: String { Hex.lowercase(hasher.finalize()) }
}
