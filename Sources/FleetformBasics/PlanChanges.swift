/// What a plan (or an apply) changes: terraform's `change_summary`. One type from the
/// terraform report through the job record to the output, so that "has changes" is
/// decided in one place.
public struct PlanChanges: Sendable, Equatable, Hashable {
    public var add: Int
    public var change: Int
    /// Terraform's event calls it `remove`; its plan text says "to destroy".
    public var destroy: Int
    /// Existing objects taken over by import blocks (`--adopt`); the event's `import`.
    public var imports: Int

    public init(add: Int, change: Int, destroy: Int, imports: Int = 0) {
        self.add = add
        self.change = change
        self.destroy = destroy
        self.imports = imports
    }

    public static let none = PlanChanges(add: 0, change: 0, destroy: 0)

    /// What `terraform plan -detailed-exitcode` reports as exit 2: an import changes the
    /// state, so it counts.
    public var hasChanges: Bool { add + change + destroy + imports > 0 }

    public static func + (lhs: PlanChanges, rhs: PlanChanges) -> PlanChanges {
        PlanChanges(add: lhs.add + rhs.add, change: lhs.change + rhs.change, destroy: lhs.destroy + rhs.destroy,
                    imports: lhs.imports + rhs.imports)
    }

    /// `+1 ~0 -2`, as terraform counts add, change and destroy, with `⇣3` for imports
    /// when there are any.
    public var summary: String {
        "+\(add) ~\(change) -\(destroy)" + (imports > 0 ? " ⇣\(imports)" : "")
    }
}
