import Foundation
import Testing
@testable import Terraform

/// A template as stored with a queued run: what a worker restores is what was enqueued,
/// the adoption manifest included, and altered files are refused.
@Suite struct StoredTemplateTests {
    @Test func theBuiltInTemplateRoundTripsThroughItsStoredFiles() throws {
        let template = TerraformTemplate.builtIn
        let restored = try TerraformTemplate.restore(name: template.name, files: template.storedFiles, hash: template.contentHash)
        #expect(restored == template)
        #expect(restored.adoption != nil)
        #expect(template.storedFiles.contains { $0.path == AdoptionManifest.fileName })
    }

    @Test func alteredFilesAreRefused() throws {
        let template = TerraformTemplate.builtIn
        var files = template.storedFiles
        files[0].contents += Array("\n# changed\n".utf8)
        #expect(throws: TemplateError.storedHashMismatch(template.name)) {
            try TerraformTemplate.restore(name: template.name, files: files, hash: template.contentHash)
        }
    }
}
