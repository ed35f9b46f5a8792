/// A template as it travels with a queued run: the files it was read from (the adoption
/// manifest included) and a hash of them, so that a worker on another machine renders
/// exactly what was enqueued, without the template's directory.
extension TerraformTemplate {
    /// Every file the template was read from, sorted by path: `files` and the adoption
    /// manifest, if any.
    public var storedFiles: [File] {
        (files + [adoptionFile].compactMap { $0 }).sorted { $0.path < $1.path }
    }

    /// SHA-256 over `storedFiles`, paths and contents.
    public var contentHash: String {
        Self.contentHash(of: storedFiles)
    }

    public static func contentHash(of files: [File]) -> String {
        var hash = PartsHash(label: "fleetform-template-v1")
        for file in files.sorted(by: { $0.path < $1.path }) {
            hash.add(file.path)
            hash.add(file.contents)
        }
        return hash.hex
    }

    /// The template stored with a run, checked against the hash it was stored with and
    /// validated as a directory's would be.
    public static func restore(name: String, files: [File], hash: String) throws(TemplateError) -> TerraformTemplate {
        guard contentHash(of: files) == hash else { throw .storedHashMismatch(name) }
        let template = try assemble(name: name, files: files)
        try template.validate()
        return template
    }
}
