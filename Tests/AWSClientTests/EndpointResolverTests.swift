import Foundation
import Testing
@testable import AWSClient

@Suite struct EndpointResolverTests {
    func endpoint(_ service: AWSService, _ region: String, _ environment: [String: String] = [:]) -> (String, String) {
        let resolved = EndpointResolver.endpoint(for: service, region: region, environment: environment)
        return (resolved.url.absoluteString, resolved.signingRegion)
    }

    @Test func commercialDefaults() {
        #expect(endpoint(.sts, "eu-west-1") == ("https://sts.eu-west-1.amazonaws.com", "eu-west-1"))
        #expect(endpoint(.iam, "eu-west-1") == ("https://iam.amazonaws.com", "us-east-1"))
        #expect(endpoint(.organizations, "ap-southeast-2") == ("https://organizations.us-east-1.amazonaws.com", "us-east-1"))
    }

    @Test func govCloudAndChinaHaveTheirOwnGlobalEndpoints() {
        #expect(endpoint(.sts, "us-gov-east-1") == ("https://sts.us-gov-east-1.amazonaws.com", "us-gov-east-1"))
        #expect(endpoint(.iam, "us-gov-east-1") == ("https://iam.us-gov.amazonaws.com", "us-gov-west-1"))
        #expect(endpoint(.organizations, "us-gov-east-1") == ("https://organizations.us-gov-west-1.amazonaws.com", "us-gov-west-1"))
        #expect(endpoint(.sts, "cn-northwest-1") == ("https://sts.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"))
        #expect(endpoint(.iam, "cn-northwest-1") == ("https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1"))
        #expect(endpoint(.organizations, "cn-north-1")
            == ("https://organizations.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"))
    }

    @Test func serviceVariableWinsOverTheGeneralOne() {
        let environment = ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:6000"]
        #expect(endpoint(.iam, "eu-west-1", environment) == ("http://127.0.0.1:6000", "us-east-1"))
        #expect(endpoint(.sts, "eu-west-1", environment) == ("http://127.0.0.1:5000", "eu-west-1"))
        #expect(endpoint(.organizations, "eu-west-1", environment) == ("http://127.0.0.1:5000", "us-east-1"))
        #expect(endpoint(.organizations, "eu-west-1", ["AWS_ENDPOINT_URL_ORGANIZATIONS": "https://orgs.internal/"])
            == ("https://orgs.internal/", "us-east-1"))
        #expect(endpoint(.sts, "eu-west-1", ["AWS_ENDPOINT_URL_STS": "http://localhost:4566"]) == ("http://localhost:4566", "eu-west-1"))
    }

    @Test func variableNames() {
        #expect(AWSService.allCases.map(\.endpointVariable)
            == ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_ORGANIZATIONS"])
        #expect(AWSService.allCases.map(\.signingName) == ["sts", "iam", "organizations"])
    }

    @Test func configuredEndpointsCanBeIgnoredAndBadOnesAreReported() throws {
        let environment = ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]
        #expect(endpoint(.sts, "us-east-1", environment) == ("https://sts.us-east-1.amazonaws.com", "us-east-1"))
        // An empty or unusable value is skipped by endpoint(for:) and reported by validate.
        let bad = ["AWS_ENDPOINT_URL_STS": "localhost:5000", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"]
        #expect(endpoint(.sts, "us-east-1", bad) == ("http://127.0.0.1:5000", "us-east-1"))
        #expect(endpoint(.sts, "us-east-1", ["AWS_ENDPOINT_URL_STS": ""]).0 == "https://sts.us-east-1.amazonaws.com")
        #expect(throws: AWSConfigurationError.invalidEndpointURL(variable: "AWS_ENDPOINT_URL_STS", value: "localhost:5000")) {
            try EndpointResolver.validate(environment: bad)
        }
        try EndpointResolver.validate(environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000"])
        try EndpointResolver.validate(environment: [:])
    }
}
