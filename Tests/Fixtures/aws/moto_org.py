#!/usr/bin/env python3
"""Sets up and inspects an AWS Organization in moto for fleetform's tests.

    moto_org.py --endpoint URL create --count N [--name-prefix P]
        Creates the organization (if there is none yet) and N member accounts.
        Prints {"management_account_id": ..., "accounts": [{"id", "name", "email"}]}.

    moto_org.py --endpoint URL tag --spec '{"<account id>": {"team": "payments"}}'
        Tags the accounts in Organizations (TagResource), adding to or replacing
        the tags they have.

    moto_org.py --endpoint URL inspect --account ID [--role-name R] [--access-role-name A]
        Assumes the access role in the member account (moto maps the temporary
        key to that account) and prints what IAM holds there:
        {"account_id", "caller_account", "role": {"exists", "arn", "name",
         "trust_statements": [{"sid", "effect", "actions", "principals": {"AWS": [...],
         "Service": [...]}, "condition": {"StringEquals": {"aws:PrincipalArn": [...]}}}]}
         | {"exists": false},
         "attached_policies": [{"name", "arn", "sids": [...], "statements": [...]}],
         "instance_profiles": [{"name", "arn", "roles": [...]}]}

Credentials are the dummy "testing" pair; the region is us-east-1.
"""

import argparse
import json
import os
import sys
import urllib.parse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"})


def client(service, endpoint, credentials=None):
    # A moto that checks signatures knows only the key auth-setup made; the test passes it
    # in the environment (never on the command line).
    credentials = credentials or {
        "aws_access_key_id": os.environ.get("MOTO_ORG_ACCESS_KEY_ID", "testing"),
        "aws_secret_access_key": os.environ.get("MOTO_ORG_SECRET_ACCESS_KEY", "testing"),
    }
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, config=CONFIG, **credentials)


def create(args):
    org = client("organizations", args.endpoint)
    try:
        org.create_organization(FeatureSet="ALL")
    except ClientError as error:
        if error.response["Error"]["Code"] != "AlreadyInOrganizationException":
            raise
    management = org.describe_organization()["Organization"]["MasterAccountId"]

    accounts = []
    for index in range(1, args.count + 1):
        name = f"{args.name_prefix}-{index}"
        email = f"aws+{name}@example.com"
        status = org.create_account(Email=email, AccountName=name)["CreateAccountStatus"]
        if status.get("State") != "SUCCEEDED":
            status = org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
        if status.get("State") != "SUCCEEDED":
            raise SystemExit(f"CreateAccount {name} did not succeed: {status}")
        accounts.append({"id": status["AccountId"], "name": name, "email": email})

    print(json.dumps({"management_account_id": management, "accounts": accounts}))


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def as_document(value):
    # botocore decodes IAM policy documents into dicts; be tolerant of a
    # URL-encoded or plain JSON string too.
    if isinstance(value, dict):
        return value
    text = urllib.parse.unquote(value)
    return json.loads(text)


def statements(document):
    result = []
    for statement in as_list(document.get("Statement")):
        principals = statement.get("Principal") or {}
        if isinstance(principals, str):
            principals = {"AWS": principals}
        result.append({
            "sid": statement.get("Sid"),
            "effect": statement.get("Effect"),
            "actions": as_list(statement.get("Action")),
            "resources": as_list(statement.get("Resource")),
            "principals": {kind: sorted(as_list(ids)) for kind, ids in principals.items()},
            # {operator: {key: [values]}}: a single value becomes a one-element list.
            "condition": {
                operator: {key: as_list(values) for key, values in (pairs or {}).items()}
                for operator, pairs in (statement.get("Condition") or {}).items()
            },
        })
    return result


def member_credentials(endpoint, account, access_role_name):
    """Credentials in a member account: moto maps the assumed role's key to that account."""
    access_role = f"arn:aws:iam::{account}:role/{access_role_name}"
    assumed = client("sts", endpoint).assume_role(RoleArn=access_role, RoleSessionName="fleetform-test")["Credentials"]
    return {
        "aws_access_key_id": assumed["AccessKeyId"],
        "aws_secret_access_key": assumed["SecretAccessKey"],
        "aws_session_token": assumed["SessionToken"],
    }


def inspect(args):
    credentials = member_credentials(args.endpoint, args.account, args.access_role_name)
    caller = client("sts", args.endpoint, credentials).get_caller_identity()["Account"]
    iam = client("iam", args.endpoint, credentials)

    report = {"account_id": args.account, "caller_account": caller}

    try:
        role = iam.get_role(RoleName=args.role_name)["Role"]
        report["role"] = {
            "exists": True,
            "name": role["RoleName"],
            "arn": role["Arn"],
            "trust_statements": statements(as_document(role["AssumeRolePolicyDocument"])),
            "tags": {tag["Key"]: tag["Value"] for tag in role.get("Tags", [])},
        }
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchEntity":
            raise
        report["role"] = {"exists": False}

    policies = []
    if report["role"]["exists"]:
        attached = iam.list_attached_role_policies(RoleName=args.role_name)["AttachedPolicies"]
        for policy in attached:
            meta = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]
            version = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=meta["DefaultVersionId"])
            document_statements = statements(as_document(version["PolicyVersion"]["Document"]))
            policies.append({
                "name": policy["PolicyName"],
                "arn": policy["PolicyArn"],
                "sids": [s["sid"] for s in document_statements if s["sid"]],
                "statements": document_statements,
            })
    report["attached_policies"] = policies

    profiles = []
    for page in iam.get_paginator("list_instance_profiles").paginate():
        for profile in page["InstanceProfiles"]:
            profiles.append({
                "name": profile["InstanceProfileName"],
                "arn": profile["Arn"],
                "roles": [r["RoleName"] for r in profile.get("Roles", [])],
            })
    report["instance_profiles"] = profiles
    report["role_names"] = sorted(
        role["RoleName"] for page in iam.get_paginator("list_roles").paginate() for role in page["Roles"])
    report["local_policy_names"] = sorted(
        policy["PolicyName"] for page in iam.get_paginator("list_policies").paginate(Scope="Local")
        for policy in page["Policies"])

    print(json.dumps(report))


def tree(args):
    """Builds OUs (by path under the root) and accounts placed in them."""
    spec = json.loads(args.spec)
    org = client("organizations", args.endpoint)
    try:
        org.create_organization(FeatureSet="ALL")
    except ClientError as error:
        if error.response["Error"]["Code"] != "AlreadyInOrganizationException":
            raise
    management = org.describe_organization()["Organization"]["MasterAccountId"]
    root = org.list_roots()["Roots"][0]["Id"]
    ous = {"": root}
    for path in sorted(spec.get("ous", []), key=lambda p: p.count("/")):
        parent, _, name = path.rpartition("/")
        ous[path] = org.create_organizational_unit(ParentId=ous[parent], Name=name)["OrganizationalUnit"]["Id"]
    accounts = {}
    for account in spec.get("accounts", []):
        name = account["name"]
        status = org.create_account(Email=f"aws+{name}@example.com", AccountName=name)["CreateAccountStatus"]
        accounts[name] = status["AccountId"]
        if account.get("ou"):
            org.move_account(AccountId=status["AccountId"], SourceParentId=root, DestinationParentId=ous[account["ou"]])
    ous.pop("")
    print(json.dumps({"management_account_id": management, "root_id": root, "ous": ous, "accounts": accounts}))


def move(args):
    org = client("organizations", args.endpoint)
    source = org.list_parents(ChildId=args.account)["Parents"][0]["Id"]
    org.move_account(AccountId=args.account, SourceParentId=source, DestinationParentId=args.ou_id)
    print("{}")


def tag(args):
    """Tags accounts in Organizations: --spec {"<account id>": {"key": "value"}}."""
    org = client("organizations", args.endpoint)
    for account, tags in json.loads(args.spec).items():
        org.tag_resource(ResourceId=account, Tags=[{"Key": key, "Value": value} for key, value in tags.items()])
    print("{}")


def close(args):
    client("organizations", args.endpoint).close_account(AccountId=args.account)
    print("{}")


def delete_role(args):
    """Deletes the gateway role behind fleetform's back (detaching what IAM requires first)."""
    session = member_credentials(args.endpoint, args.account, args.access_role_name)
    iam = client("iam", args.endpoint, session)
    for policy in iam.list_attached_role_policies(RoleName=args.role_name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=args.role_name, PolicyArn=policy["PolicyArn"])
    for profile in iam.list_instance_profiles_for_role(RoleName=args.role_name)["InstanceProfiles"]:
        iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=args.role_name)
    iam.delete_role(RoleName=args.role_name)
    print("{}")


def hand_create(args):
    """Creates the role, its policy, the attachment and the instance profile in a member
    account as a person following the seed by hand would: the seed's trust policy names
    the management account. --role-path puts the role (and profile) under another path;
    --policy-versions adds versions to the policy (IAM keeps at most five); --profile-role
    puts another role into the instance profile."""
    session = member_credentials(args.endpoint, args.account, args.access_role_name)
    iam = client("iam", args.endpoint, session)
    management = args.management_account
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": f"arn:aws:iam::{management}:root"},
         "Condition": {"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{management}:role/{args.role_name}"}}},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}},
    ]}
    role = iam.create_role(RoleName=args.role_name, Path=args.role_path, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    document = {"Version": "2012-10-17", "Statement": [
        {"Sid": "HandMade", "Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}]}
    policy = iam.create_policy(PolicyName=f"{args.role_name}-policy", PolicyDocument=json.dumps(document))["Policy"]
    for index in range(1, args.policy_versions):
        document["Statement"][0]["Sid"] = f"HandMade{index}"
        iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=json.dumps(document), SetAsDefault=True)
    iam.attach_role_policy(RoleName=args.role_name, PolicyArn=policy["Arn"])
    iam.create_instance_profile(InstanceProfileName=args.role_name, Path=args.role_path)
    profile_role = args.profile_role or args.role_name
    if args.profile_role:
        iam.create_role(RoleName=args.profile_role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.add_role_to_instance_profile(InstanceProfileName=args.role_name, RoleName=profile_role)
    print(json.dumps({"role_arn": role["Arn"], "policy_arn": policy["Arn"]}))


def auth_setup(args):
    """For a moto started with INITIAL_NO_AUTH_ACTION_COUNT=3N+4: an organization with N
    accounts (--accounts, 2 by default) and an IAM user allowed everything, in exactly
    3N+4 requests; after them moto checks every signature. Prints the user's key.

    moto creates each account's OrganizationAccountAccessRole without a policy, where
    AWS attaches AdministratorAccess; each gets an inline policy allowing everything, so
    that what enters an account through it is authorised as in AWS."""
    org = client("organizations", args.endpoint)
    org.create_organization(FeatureSet="ALL")
    for index in range(1, args.accounts + 1):
        status = org.create_account(Email=f"aws+signed-{index}@example.com", AccountName=f"signed-{index}")
        account = status["CreateAccountStatus"]["AccountId"]
        member = client("iam", args.endpoint, member_credentials(args.endpoint, account, "OrganizationAccountAccessRole"))
        member.put_role_policy(RoleName="OrganizationAccountAccessRole", PolicyName="AdministratorAccess",
                               PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                   {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam = client("iam", args.endpoint)
    iam.create_user(UserName="fleetform-ci")
    iam.put_user_policy(UserName="fleetform-ci", PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="fleetform-ci")["AccessKey"]
    print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True, help="moto_server URL, e.g. http://127.0.0.1:5000")
    commands = parser.add_subparsers(dest="command", required=True)

    create_parser = commands.add_parser("create")
    create_parser.add_argument("--count", type=int, required=True)
    create_parser.add_argument("--name-prefix", default="member")
    create_parser.set_defaults(run=create)

    inspect_parser = commands.add_parser("inspect")
    inspect_parser.add_argument("--account", required=True)
    inspect_parser.add_argument("--role-name", default="terraform-akeyless-role")
    inspect_parser.add_argument("--access-role-name", default="OrganizationAccountAccessRole")
    inspect_parser.set_defaults(run=inspect)

    tree_parser = commands.add_parser("tree")
    tree_parser.add_argument("--spec", required=True, help='{"ous": ["A", "A/B"], "accounts": [{"name": "x", "ou": "A/B"}]}')
    tree_parser.set_defaults(run=tree)

    move_parser = commands.add_parser("move")
    move_parser.add_argument("--account", required=True)
    move_parser.add_argument("--ou-id", required=True)
    move_parser.set_defaults(run=move)

    tag_parser = commands.add_parser("tag")
    tag_parser.add_argument("--spec", required=True, help='{"210987654321": {"team": "payments"}}')
    tag_parser.set_defaults(run=tag)

    close_parser = commands.add_parser("close")
    close_parser.add_argument("--account", required=True)
    close_parser.set_defaults(run=close)

    delete_parser = commands.add_parser("delete-role")
    delete_parser.add_argument("--account", required=True)
    delete_parser.add_argument("--role-name", default="terraform-akeyless-role")
    delete_parser.add_argument("--access-role-name", default="OrganizationAccountAccessRole")
    delete_parser.set_defaults(run=delete_role)

    hand_parser = commands.add_parser("hand-create")
    hand_parser.add_argument("--account", required=True)
    hand_parser.add_argument("--management-account", required=True)
    hand_parser.add_argument("--role-name", default="terraform-akeyless-role")
    hand_parser.add_argument("--role-path", default="/")
    hand_parser.add_argument("--policy-versions", type=int, default=1)
    hand_parser.add_argument("--profile-role")
    hand_parser.add_argument("--access-role-name", default="OrganizationAccountAccessRole")
    hand_parser.set_defaults(run=hand_create)

    auth_parser = commands.add_parser("auth-setup")
    auth_parser.add_argument("--accounts", type=int, default=2)
    auth_parser.set_defaults(run=auth_setup)

    args = parser.parse_args()
    try:
        args.run(args)
    except ClientError as error:
        sys.stderr.write(f"moto_org.py: {error}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
