import Testing
@testable import AWSClient

/// IAM and STS answers as AWS documents them, decoded through the one Query-answer
/// mechanism: the `<ActionResult>` element, PascalCase members read as camelCase.
@Suite struct QueryAnswerTests {
    private func session(_ transport: ScriptedTransport) -> AWSSession {
        AWSSession(
            environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-1",
                          "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"],
            homeDirectory: "/nonexistent", transport: transport,
            retry: RetryPolicy(maximumAttempts: 2, base: .milliseconds(1), cap: .milliseconds(2)))
    }

    private func iam(_ transport: ScriptedTransport) throws -> IAMClient {
        try session(transport).iam(credentials: AWSCredentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: "s"))
    }

    private static let metadata = "<ResponseMetadata><RequestId>df37e965-9967-11e1-a4c3-270EXAMPLE04</RequestId></ResponseMetadata>"
    private static let noSuchEntity = (404, """
        <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>\
        <Message>The role with name gone cannot be found.</Message></Error><RequestId>1</RequestId></ErrorResponse>
        """)

    @Test func getRoleReadsTheNameTheARNAndTheURLEncodedTrustPolicy() async throws {
        let transport = ScriptedTransport([
            (200, """
                <GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>
                <Path>/</Path><Arn>arn:aws:iam::123456789012:role/terraform-akeyless-role</Arn>
                <RoleName>terraform-akeyless-role</RoleName>
                <AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D</AssumeRolePolicyDocument>
                <CreateDate>2012-05-08T23:34:01Z</CreateDate><RoleId>AROADBQP57FF2AEXAMPLE</RoleId>
                <RoleLastUsed><LastUsedDate>2019-11-20T17:09:20Z</LastUsedDate><Region>us-east-1</Region></RoleLastUsed>
                </Role></GetRoleResult>\(Self.metadata)</GetRoleResponse>
                """),
            Self.noSuchEntity,
        ])
        let iam = try iam(transport)
        #expect(try await iam.role(named: "terraform-akeyless-role") == IAMClient.Role(
            name: "terraform-akeyless-role", arn: "arn:aws:iam::123456789012:role/terraform-akeyless-role", path: "/",
            trustPolicy: #"{"Version":"2012-10-17","Statement":[]}"#))
        #expect(try await iam.role(named: "gone") == nil)
        #expect(String(decoding: transport.sent[0].body, as: UTF8.self)
            == "Action=GetRole&Version=2010-05-08&RoleName=terraform-akeyless-role")
    }

    @Test func attachedPoliciesFollowMarkerPages() async throws {
        func page(_ members: String, marker: String?) -> (Int, String) {
            let truncation = marker.map { "<IsTruncated>true</IsTruncated><Marker>\($0)</Marker>" } ?? "<IsTruncated>false</IsTruncated>"
            return (200, """
                <ListAttachedRolePoliciesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">\
                <ListAttachedRolePoliciesResult><AttachedPolicies>\(members)</AttachedPolicies>\(truncation)\
                </ListAttachedRolePoliciesResult>\(Self.metadata)</ListAttachedRolePoliciesResponse>
                """)
        }
        func member(_ name: String) -> String {
            "<member><PolicyName>\(name)</PolicyName><PolicyArn>arn:aws:iam::123456789012:policy/\(name)</PolicyArn></member>"
        }
        let transport = ScriptedTransport([
            page(member("a") + member("b"), marker: "page-2"),
            page(member("c"), marker: nil),
        ])
        let policies = try await iam(transport).attachedPolicies(roleName: "r")
        #expect(policies.map(\.name) == ["a", "b", "c"])
        #expect(policies.last?.arn == "arn:aws:iam::123456789012:policy/c")
        #expect(String(decoding: transport.sent[1].body, as: UTF8.self)
            == "Action=ListAttachedRolePolicies&Version=2010-05-08&RoleName=r&Marker=page-2")
    }

    @Test func instanceProfilesNameTheirRoles() async throws {
        let transport = ScriptedTransport([
            (200, """
                <GetInstanceProfileResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetInstanceProfileResult>
                <InstanceProfile><InstanceProfileId>AIPAD5ARO2C5EXAMPLE3G</InstanceProfileId>
                <Roles><member><Path>/</Path><Arn>arn:aws:iam::123456789012:role/r</Arn><RoleName>r</RoleName>
                <CreateDate>2012-05-09T15:45:35Z</CreateDate><RoleId>AROACVYKSVTSZFEXAMPLE</RoleId></member></Roles>
                <InstanceProfileName>r</InstanceProfileName><Path>/</Path>
                <Arn>arn:aws:iam::123456789012:instance-profile/r</Arn><CreateDate>2012-05-09T16:11:10Z</CreateDate>
                </InstanceProfile></GetInstanceProfileResult>\(Self.metadata)</GetInstanceProfileResponse>
                """),
            Self.noSuchEntity,
        ])
        let iam = try iam(transport)
        #expect(try await iam.instanceProfile(named: "r") == IAMClient.InstanceProfile(
            name: "r", arn: "arn:aws:iam::123456789012:instance-profile/r", path: "/", roleNames: ["r"]))
        #expect(try await iam.instanceProfile(named: "gone") == nil)
    }

    @Test func policiesAndTheirVersionCountAreRead() async throws {
        func versions(_ ids: [String], marker: String?) -> (Int, String) {
            let truncation = marker.map { "<IsTruncated>true</IsTruncated><Marker>\($0)</Marker>" } ?? "<IsTruncated>false</IsTruncated>"
            let members = ids.map { "<member><VersionId>\($0)</VersionId><IsDefaultVersion>false</IsDefaultVersion></member>" }
            return (200, """
                <ListPolicyVersionsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListPolicyVersionsResult>
                <Versions>\(members.joined())</Versions>\(truncation)</ListPolicyVersionsResult>\(Self.metadata)</ListPolicyVersionsResponse>
                """)
        }
        let transport = ScriptedTransport([
            (200, """
                <GetPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetPolicyResult><Policy>
                <PolicyName>r-policy</PolicyName><DefaultVersionId>v3</DefaultVersionId><PolicyId>ANPAEXAMPLE</PolicyId>
                <Path>/gateways/</Path><Arn>arn:aws:iam::123456789012:policy/gateways/r-policy</Arn>
                <AttachmentCount>1</AttachmentCount><IsAttachable>true</IsAttachable>
                <CreateDate>2014-09-15T17:36:14Z</CreateDate><UpdateDate>2014-09-15T20:31:47Z</UpdateDate>
                </Policy></GetPolicyResult>\(Self.metadata)</GetPolicyResponse>
                """),
            Self.noSuchEntity,
            versions(["v1", "v2", "v3"], marker: "next"),
            versions(["v4", "v5"], marker: nil),
        ])
        let iam = try iam(transport)
        let arn = "arn:aws:iam::123456789012:policy/gateways/r-policy"
        #expect(try await iam.policy(arn: arn) == IAMClient.Policy(
            name: "r-policy", arn: arn, path: "/gateways/", defaultVersionID: "v3", attachmentCount: 1))
        #expect(try await iam.policy(arn: "arn:aws:iam::123456789012:policy/gone") == nil)
        #expect(try await iam.policyVersionCount(arn: arn) == 5)
        #expect(String(decoding: transport.sent[3].body, as: UTF8.self).hasSuffix("&Marker=next"))
    }

    @Test func callerIdentityIsRead() async throws {
        let transport = ScriptedTransport([(200, """
            <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
            <Arn>arn:aws:iam::123456789012:user/Alice</Arn><UserId>AKIAI44QH8DHBEXAMPLE</UserId><Account>123456789012</Account>
            </GetCallerIdentityResult>\(Self.metadata)</GetCallerIdentityResponse>
            """)])
        #expect(try await session(transport).sts().callerIdentity()
            == STSClient.CallerIdentity(account: "123456789012", arn: "arn:aws:iam::123456789012:user/Alice"))
    }

    /// An answer without the action's result element is an error naming the call.
    @Test func anAnswerOfAnotherShapeIsAnUnexpectedResponse() async throws {
        let transport = ScriptedTransport([(200, "<GetRoleResponse><Other/>\(Self.metadata)</GetRoleResponse>")])
        let error = await #expect(throws: AWSError.self) {
            _ = try await iam(transport).role(named: "r")
        }
        #expect(error?.code == "UnexpectedResponse")
        #expect(error?.call == "IAM GetRole")
    }
}
