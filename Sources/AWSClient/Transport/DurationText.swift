extension Duration {
    /// `60 s`, `1.5 s`, `0.25 s`: how deadlines and budgets are named in errors.
    var secondsText: String {
        let value = Double(components.seconds) + Double(components.attoseconds) / 1e18
        if value == value.rounded() { return "\(Int(value)) s" }
        return "\((value * 1000).rounded() / 1000) s"
    }

    /// The duration in seconds, for APIs that take a `TimeInterval`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
