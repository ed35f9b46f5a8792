import Foundation
import Testing
@testable import AWSClient

@Suite struct EndpointResolverTests {
    func endpoint(_ service: AWSService, _ region: String, _ environment: [String: String] = [:]) throws -> (String, String) {
        let resolved = try EndpointResolver.endpoint(for: service, region: region, environment: environment)
        return (resolved.url.absoluteString, resolved.signingRegion)
    }

    @Test func commercialDefaults() throws {
        #expect(try endpoint(.sts, "eu-west-1") == ("https://sts.eu-west-1.amazonaws.com", "eu-west-1"))
        #expect(try endpoint(.iam, "eu-west-1") == ("https://iam.amazonaws.com", "us-east-1"))
        #expect(try endpoint(.organizations, "ap-southeast-2") == ("https://organizations.us-east-1.amazonaws.com", "us-east-1"))
    }

    @Test func govCloudAndChinaHaveTheirOwnGlobalEndpoints() throws {
        #expect(try endpoint(.sts, "us-gov-east-1") == ("https://sts.us-gov-east-1.amazonaws.com", "us-gov-east-1"))
        #expect(try endpoint(.iam, "us-gov-east-1") == ("https://iam.us-gov.amazonaws.com", "us-gov-west-1"))
        #expect(try endpoint(.organizations, "us-gov-east-1") == ("https://organizations.us-gov-west-1.amazonaws.com", "us-gov-west-1"))
        #expect(try endpoint(.sts, "cn-northwest-1") == ("https://sts.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"))
        #expect(try endpoint(.iam, "cn-northwest-1") == ("https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1"))
        #expect(try endpoint(.organizations, "cn-north-1")
            == ("https://organizations.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"))
    }

    @Test func isoPartitionsNeverFallBackToCommercialEndpoints() throws {
        #expect(try endpoint(.sts, "us-iso-east-1") == ("https://sts.us-iso-east-1.c2s.ic.gov", "us-iso-east-1"))
        #expect(try endpoint(.iam, "us-iso-west-1") == ("https://iam.us-iso-east-1.c2s.ic.gov", "us-iso-east-1"))
        #expect(try endpoint(.organizations, "us-isob-east-1")
            == ("https://organizations.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1"))
        #expect(try endpoint(.organizations, "eu-isoe-west-1")
            == ("https://organizations.eu-isoe-west-1.cloud.adc-e.uk", "eu-isoe-west-1"))
        #expect(try endpoint(.iam, "us-isof-east-1") == ("https://iam.us-isof-south-1.csp.hci.ic.gov", "us-isof-south-1"))
    }

    @Test func partitionIDsAreThoseOfARNs() {
        let ids = ["eu-west-1", "us-gov-west-1", "cn-north-1", "us-iso-east-1", "us-isob-east-1", "us-isof-south-1",
                   "eu-isoe-west-1", "mx-central-1"].map { AWSPartition(region: $0).id }
        #expect(ids == ["aws", "aws-us-gov", "aws-cn", "aws-iso", "aws-iso-b", "aws-iso-f", "aws-iso-e", "aws"])
    }

    /// The region is part of the host name: `evil.com#` would send the signed request there.
    @Test func aRegionThatIsNotARegionNameIsRefusedWhereHostsAreBuilt() throws {
        #expect(throws: AWSConfigurationError.invalidRegion(source: "region", value: "evil.com#")) {
            try EndpointResolver.endpoint(for: .sts, region: "evil.com#", environment: [:])
        }
        #expect(throws: AWSConfigurationError.invalidRegion(source: "region", value: "us-east-1.evil.com")) {
            try EndpointResolver.endpoint(for: .sts, region: "us-east-1.evil.com", environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000"])
        }
    }

    @Test func loopbackHostsAreRecognised() throws {
        for local in ["http://127.0.0.1:4566", "http://127.3.2.1", "http://localhost:5000", "http://LOCALHOST", "http://[::1]:4566"] {
            #expect(EndpointResolver.isLoopback(try #require(URL(string: local))), "\(local)")
        }
        for remote in ["https://sts.us-east-1.amazonaws.com", "http://10.0.0.1:4566", "http://127.0.0.1.example.com", "http://128.0.0.1"] {
            #expect(!EndpointResolver.isLoopback(try #require(URL(string: remote))), "\(remote)")
        }
    }

    @Test func serviceVariableWinsOverTheGeneralOne() throws {
        let environment = ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:6000"]
        #expect(try endpoint(.iam, "eu-west-1", environment) == ("http://127.0.0.1:6000", "us-east-1"))
        #expect(try endpoint(.sts, "eu-west-1", environment) == ("http://127.0.0.1:5000", "eu-west-1"))
        #expect(try endpoint(.organizations, "eu-west-1", environment) == ("http://127.0.0.1:5000", "us-east-1"))
        #expect(try endpoint(.organizations, "eu-west-1", ["AWS_ENDPOINT_URL_ORGANIZATIONS": "https://orgs.internal/"])
            == ("https://orgs.internal/", "us-east-1"))
        #expect(try endpoint(.sts, "eu-west-1", ["AWS_ENDPOINT_URL_STS": "http://localhost:4566"]) == ("http://localhost:4566", "eu-west-1"))
    }

    @Test func variableNames() {
        #expect(AWSService.allCases.map(\.endpointVariable)
            == ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_ORGANIZATIONS", "AWS_ENDPOINT_URL_SSO",
                "AWS_ENDPOINT_URL_S3"])
        #expect(AWSService.allCases.map(\.signingName) == ["sts", "iam", "organizations", "awsssoportal", "s3"])
    }

    /// The IAM Identity Center portal, per sso_region and partition, and its own variable.
    @Test func ssoPortal() throws {
        #expect(try endpoint(.sso, "eu-west-1", [:]) == ("https://portal.sso.eu-west-1.amazonaws.com", "eu-west-1"))
        #expect(try endpoint(.sso, "cn-north-1", [:]) == ("https://portal.sso.cn-north-1.amazonaws.com.cn", "cn-north-1"))
        #expect(try endpoint(.sso, "eu-west-1", ["AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:2"])
            == ("http://127.0.0.1:2", "eu-west-1"))
        #expect(throws: AWSConfigurationError.invalidEndpointURL(variable: "AWS_ENDPOINT_URL_SSO", value: "portal")) {
            try EndpointResolver.validate(environment: ["AWS_ENDPOINT_URL_SSO": "portal"])
        }
        #expect(throws: AWSConfigurationError.invalidEndpointURL(variable: "AWS_EC2_METADATA_SERVICE_ENDPOINT", value: "169.254.169.254")) {
            try EndpointResolver.validate(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "169.254.169.254"])
        }
    }

    @Test func configuredEndpointsCanBeIgnoredAndBadOnesAreReported() throws {
        let environment = ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]
        #expect(try endpoint(.sts, "us-east-1", environment) == ("https://sts.us-east-1.amazonaws.com", "us-east-1"))
        // An empty or unusable value is skipped by endpoint(for:) and reported by validate.
        let bad = ["AWS_ENDPOINT_URL_STS": "localhost:5000", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"]
        #expect(try endpoint(.sts, "us-east-1", bad) == ("http://127.0.0.1:5000", "us-east-1"))
        #expect(try endpoint(.sts, "us-east-1", ["AWS_ENDPOINT_URL_STS": ""]).0 == "https://sts.us-east-1.amazonaws.com")
        #expect(throws: AWSConfigurationError.invalidEndpointURL(variable: "AWS_ENDPOINT_URL_STS", value: "localhost:5000")) {
            try EndpointResolver.validate(environment: bad)
        }
        try EndpointResolver.validate(environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000"])
        try EndpointResolver.validate(environment: [:])
    }
}
