import Testing
@testable import Onboarding

/// Which accounts `--canary N` starts first: one per OU in turn, the OUs in tree order,
/// the same choice whatever order the accounts come in.
@Suite struct CanaryChoiceTests {
    private struct Account: Equatable {
        var id: String
        var ou: String
    }

    /// Root/A holds 3 accounts, Root/B 1, Root/C 2.
    private let uneven = [
        Account(id: "000000000013", ou: "Root/A"), Account(id: "000000000011", ou: "Root/A"),
        Account(id: "000000000012", ou: "Root/A"), Account(id: "000000000021", ou: "Root/B"),
        Account(id: "000000000032", ou: "Root/C"), Account(id: "000000000031", ou: "Root/C"),
    ]

    private func choose(_ count: Int, _ accounts: [Account]) -> [String] {
        CanaryChoice.choose(count, from: accounts, accountID: \.id, ouPath: \.ou).map(\.id)
    }

    @Test func aSmallCanaryTakesOneAccountPerOU() {
        #expect(choose(1, uneven) == ["000000000011"])
        #expect(choose(2, uneven) == ["000000000011", "000000000021"])
        #expect(choose(3, uneven) == ["000000000011", "000000000021", "000000000031"])
    }

    @Test func oneOUGivesASecondAccountOnlyWhenEveryOUHasOne() {
        #expect(choose(4, uneven) == ["000000000011", "000000000021", "000000000031", "000000000012"])
        #expect(choose(5, uneven) == ["000000000011", "000000000021", "000000000031", "000000000012", "000000000032"])
    }

    @Test func aCanaryLargerThanTheAccountsTakesThemAll() {
        let all = ["000000000011", "000000000021", "000000000031", "000000000012", "000000000032", "000000000013"]
        #expect(choose(6, uneven) == all)
        #expect(choose(50, uneven) == all)
        #expect(choose(3, []) == [])
        #expect(choose(0, uneven) == [])
    }

    @Test func theChoiceDoesNotDependOnTheOrderOfTheAccounts() {
        for count in 1...6 {
            let expected = choose(count, uneven)
            #expect(choose(count, uneven.reversed()) == expected)
            #expect(choose(count, [uneven[4], uneven[1], uneven[5], uneven[3], uneven[0], uneven[2]]) == expected)
        }
    }

    /// Sub-OUs of one branch alternate with the other branches: two canaries cover Prod
    /// and Sandbox rather than two OUs of Prod.
    @Test func theOUsTakeTurnsAcrossTheBranchesOfTheTree() {
        let nested = [
            Account(id: "000000000001", ou: "Root/Prod/EU"), Account(id: "000000000002", ou: "Root/Prod/EU"),
            Account(id: "000000000003", ou: "Root/Prod/US"), Account(id: "000000000004", ou: "Root/Sandbox"),
            Account(id: "000000000005", ou: "Root/Prod"), Account(id: "000000000006", ou: "Root"),
        ]
        #expect(CanaryChoice.ouOrder(Set(nested.map(\.ou))) == ["Root", "Root/Prod", "Root/Sandbox", "Root/Prod/EU",
                                                                 "Root/Prod/US"])
        #expect(choose(2, nested.filter { $0.ou != "Root" && $0.ou != "Root/Prod" }) == ["000000000001", "000000000004"])
        #expect(choose(3, nested.filter { $0.ou != "Root" && $0.ou != "Root/Prod" })
                    == ["000000000001", "000000000004", "000000000003"])
        #expect(choose(6, nested) == ["000000000006", "000000000005", "000000000004", "000000000001", "000000000003",
                                      "000000000002"])
    }
}
