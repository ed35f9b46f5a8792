import Foundation
import Terraform

/// Loads the templates jobs name: the built-in one, or a directory.
public enum TemplateCatalog {
    public static func load(_ name: String) throws(TemplateError) -> TerraformTemplate {
        if name == TerraformTemplate.builtInName { return .builtIn }
        return try TerraformTemplate.load(directory: URL(fileURLWithPath: name))
    }

    /// `--template DIR` as recorded in runs: the built-in name, or the directory's absolute path.
    public static func name(forDirectory directory: String?) -> String {
        guard let directory else { return TerraformTemplate.builtInName }
        return URL(fileURLWithPath: directory).standardizedFileURL.path
    }
}
