import Testing
@testable import Onboarding
