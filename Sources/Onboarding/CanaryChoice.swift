/// Which accounts a canary run (`--canary N`) starts first: as many distinct OUs as N
/// allows, because a template that breaks in one part of an organization (a service
/// control policy, a permission boundary, a region rule) usually breaks for every
/// account of that OU and for none elsewhere.
///
/// One account per OU in turn: the first account of every OU, then the second of every
/// OU that has two, and so on, until N are chosen. The OUs take their turn in tree
/// order: the sub-OUs of one OU alternate with those of its siblings, so a canary
/// smaller than the number of OUs spreads over the branches of the tree
/// (`Root/Prod/EU`, `Root/Sandbox`) instead of filling one branch
/// (`Root/Prod/EU`, `Root/Prod/US`). Within an OU accounts go by ID.
///
/// Only the input decides the choice, never its order: the same accounts give the same
/// canary on every run and every machine.
enum CanaryChoice {
    /// The canary among `items` (the accounts that have work: the choice is made after
    /// up-to-date accounts are skipped), in the order chosen; all of them when `count`
    /// is at least their number.
    static func choose<Item>(
        _ count: Int, from items: [Item], accountID: KeyPath<Item, String>, ouPath: KeyPath<Item, String>
    ) -> [Item] {
        guard count > 0 else { return [] }
        var byOU: [String: [Item]] = [:]
        for item in items { byOU[item[keyPath: ouPath], default: []].append(item) }
        for ou in byOU.keys { byOU[ou]!.sort { $0[keyPath: accountID] < $1[keyPath: accountID] } }

        let turns = ouOrder(Set(byOU.keys))
        var chosen: [Item] = []
        var round = 0
        while chosen.count < min(count, items.count) {
            for ou in turns where round < byOU[ou]!.count {
                chosen.append(byOU[ou]![round])
                if chosen.count == count { return chosen }
            }
            round += 1
        }
        return chosen
    }

    /// The OU paths in tree order: at each OU, the OU itself (when it holds accounts)
    /// and then its sub-OUs (by name) take turns, each sub-OU giving its own order.
    static func ouOrder(_ paths: Set<String>) -> [String] {
        final class Node {
            var children: [String: Node] = [:]
            var path: String?
        }
        let root = Node()
        for path in paths {
            var node = root
            for part in path.split(separator: "/", omittingEmptySubsequences: false) {
                let key = String(part)
                if node.children[key] == nil { node.children[key] = Node() }
                node = node.children[key]!
            }
            node.path = path
        }
        func order(_ node: Node) -> [String] {
            var turns: [[String]] = node.path.map { [[$0]] } ?? []
            turns += node.children.keys.sorted().map { order(node.children[$0]!) }
            return interleave(turns)
        }
        return order(root)
    }

    /// `[[a1, a2], [b1], [c1, c2]]` → `[a1, b1, c1, a2, c2]`.
    private static func interleave(_ lists: [[String]]) -> [String] {
        var result: [String] = []
        var index = 0
        while true {
            let round = lists.compactMap { index < $0.count ? $0[index] : nil }
            if round.isEmpty { return result }
            result += round
            index += 1
        }
    }
}
