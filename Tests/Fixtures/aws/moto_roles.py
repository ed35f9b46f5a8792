#!/usr/bin/env python3
"""Roles and authentication switches in moto for the credential-source tests.

    moto_roles.py --endpoint URL [--access-key K --secret S] web-identity-role --name NAME
        Creates role NAME in the management account, trusting a web identity provider
        and allowed everything, signed with the given key (a moto that checks
        signatures needs one; default: the dummy "testing" pair). Prints {"arn": ...}.

    moto_roles.py --endpoint URL allow-unsigned --count N
        Lets the next N requests through without a signature check (moto's
        /moto-api/reset-auth), then checks every one again. AssumeRoleWithWebIdentity
        is unsigned in AWS (the token is the authorisation), but moto 5 with
        signature checks on answers an unsigned request with HTTP 500. Prints {}.
"""

import argparse
import json
import urllib.request

import boto3
from botocore.config import Config

REGION = "us-east-1"


def web_identity_role(args):
    iam = boto3.client("iam", region_name=REGION, endpoint_url=args.endpoint,
                       aws_access_key_id=args.access_key, aws_secret_access_key=args.secret,
                       config=Config(retries={"max_attempts": 2, "mode": "standard"}))
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}}]}
    role = iam.create_role(RoleName=args.name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=args.name, PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    print(json.dumps({"arn": role["Arn"]}))


def allow_unsigned(args):
    request = urllib.request.Request(args.endpoint + "/moto-api/reset-auth", data=str(args.count).encode(),
                                     method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()
    print("{}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--access-key", default="testing")
    parser.add_argument("--secret", default="testing")
    commands = parser.add_subparsers(dest="command", required=True)
    role_parser = commands.add_parser("web-identity-role")
    role_parser.add_argument("--name", required=True)
    role_parser.set_defaults(run=web_identity_role)
    unsigned_parser = commands.add_parser("allow-unsigned")
    unsigned_parser.add_argument("--count", type=int, required=True)
    unsigned_parser.set_defaults(run=allow_unsigned)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
