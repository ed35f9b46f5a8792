import Testing
@testable import AWSClient

@Suite struct SharedConfigFileTests {
    @Test func parsesSectionsKeysAndComments() {
        let file = SharedConfigFile(parsing: """
            # a comment
            ; another
            [default]   # trailing comment on a header
            aws_access_key_id   =   AKIDDEFAULT\u{20}\u{20}
            AWS_Secret_Access_Key=secret=with=equals

            [ admin ]
            \tregion = eu-west-1
            not a setting line
            credential_process = /bin/tool --flag "a # b" ; echo
            """)
        #expect(file.sections["default"] == ["aws_access_key_id": "AKIDDEFAULT", "aws_secret_access_key": "secret=with=equals"])
        #expect(file.sections["admin"] == ["region": "eu-west-1", "credential_process": "/bin/tool --flag \"a # b\" ; echo"])
    }

    @Test func skipsNestedSubsectionsAndJoinsContinuations() {
        let file = SharedConfigFile(parsing: """
            [profile dev]
            region = us-west-2
            s3 =
              max_concurrent_requests = 20
              addressing_style = path
            output = json
            note = first
              second
            """)
        let profile = file.configFileProfiles["dev"]
        #expect(profile?["region"] == "us-west-2")
        #expect(profile?["s3"] == "")
        #expect(profile?["max_concurrent_requests"] == nil)
        #expect(profile?["output"] == "json")
        #expect(profile?["note"] == "first\nsecond")
    }

    @Test func configFileProfilesNeedTheProfilePrefixExceptDefault() {
        let file = SharedConfigFile(parsing: """
            [default]
            region = us-east-1
            [profile default]
            output = json
            [profile  spaced  ]
            region = eu-central-1
            [bare]
            region = ignored
            [sso-session corp]
            sso_region = us-east-1
            """)
        #expect(file.configFileProfiles == [
            "default": ["region": "us-east-1", "output": "json"],
            "spaced": ["region": "eu-central-1"],
        ])
        // In the credentials file every section is a profile, named as written.
        #expect(SharedConfigFile(parsing: "[bare]\nx = 1\n").credentialsFileProfiles == ["bare": ["x": "1"]])
    }

    @Test func repeatedSectionsMergeAndCRLFIsAccepted() {
        let file = SharedConfigFile(parsing: "[a]\r\nx = 1\r\ny = 2\r\n[a]\r\ny = 3\r\n")
        #expect(file.sections["a"] == ["x": "1", "y": "3"])
    }
}
