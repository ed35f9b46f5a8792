import Foundation

/// The HTTP transports of the credential sources that are not AWS APIs.
///
/// They differ in patience: the metadata services answer from the same host or the
/// link-local network within milliseconds, and on a laptop there is no such service at
/// all, so waiting the API transport's 30 s there would stall every command that has no
/// other credentials. The SDKs wait 1 s for IMDS and 2 s for the container endpoint.
public struct CredentialTransports: Sendable {
    /// The IAM Identity Center portal: an AWS API, with the API's patience.
    public var portal: any HTTPTransport
    /// The ECS / EKS Pod Identity agent.
    public var container: any HTTPTransport
    /// The EC2 instance metadata service.
    public var instanceMetadata: any HTTPTransport

    public init(portal: any HTTPTransport, container: any HTTPTransport, instanceMetadata: any HTTPTransport) {
        self.portal = portal
        self.container = container
        self.instanceMetadata = instanceMetadata
    }

    /// One transport for every source (tests, whose servers are all on loopback).
    public init(all transport: any HTTPTransport) {
        self.init(portal: transport, container: transport, instanceMetadata: transport)
    }

    /// The SDKs' time limits: 2 s for the container endpoint, 1 s for IMDS (each with a
    /// short overall deadline, since a trickling answer is as useless as none).
    public static func standard(portal: any HTTPTransport = URLSessionTransport()) -> CredentialTransports {
        CredentialTransports(
            portal: portal,
            container: URLSessionTransport(idleTimeout: .seconds(2), deadline: .seconds(4)),
            instanceMetadata: URLSessionTransport(idleTimeout: .seconds(1), deadline: .seconds(2)))
    }
}

/// What every credential source reads or calls, gathered once per resolution so that
/// each source type takes one value instead of a list of parameters.
struct CredentialContext: Sendable {
    var environment: [String: String]
    var homeDirectory: String
    var transports: CredentialTransports
    /// The region whose STS endpoint AssumeRole and AssumeRoleWithWebIdentity call.
    var stsRegion: String
    var credentialProcessTimeout: Duration
    var assumeRole: CredentialChain.RoleAssumer
    var assumeRoleWithWebIdentity: CredentialChain.WebIdentityAssumer
    var now: @Sendable () -> Date

    /// An environment variable, with empty meaning unset (as everywhere in the chain).
    func variable(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// The session name of an assumed role when none is configured; it shows up in
    /// CloudTrail, so it says who assumed the role.
    var defaultSessionName: String {
        "fleetform-\(Int(now().timeIntervalSince1970))"
    }
}
