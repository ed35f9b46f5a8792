#!/usr/bin/env python3
"""Roles and authentication switches in moto for the credential-source tests.

    moto_roles.py --endpoint URL administrator-role --name NAME
        Creates role NAME in the management account, allowed everything and trusting
        both a web identity provider and the account itself (and its user fleetform-ci,
        made by moto_org.py auth-setup). Prints {"arn": ...}.

    moto_roles.py --endpoint URL assume-role --arn ARN
        AssumeRole into ARN. Prints {"access_key_id",
        "secret_access_key", "session_token"}: temporary credentials moto knows, as a
        metadata service or the SSO portal hands out. (moto refuses an IAM user's key
        sent with a session token: InvalidClientTokenId.)

    moto_roles.py --endpoint URL allow-unsigned --count N
        Lets the next N requests through without a signature check (moto's
        /moto-api/reset-auth), then checks every one again. AssumeRoleWithWebIdentity
        is unsigned in AWS (the token is the authorisation), but moto 5 with
        signature checks on answers an unsigned request with HTTP 500. Prints {}.
"""

import argparse
import json
import os
import urllib.request

import boto3
from botocore.config import Config

REGION = "us-east-1"


def client(service, endpoint):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint,
                        aws_access_key_id=os.environ.get("MOTO_ORG_ACCESS_KEY_ID", "testing"),
                        aws_secret_access_key=os.environ.get("MOTO_ORG_SECRET_ACCESS_KEY", "testing"),
                        config=Config(retries={"max_attempts": 2, "mode": "standard"}))


def administrator_role(args):
    iam = client("iam", args.endpoint)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
         "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}},
        # moto matches principals literally: the account root does not cover its users.
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": [
            "arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:user/fleetform-ci"]}}]}
    role = iam.create_role(RoleName=args.name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=args.name, PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    print(json.dumps({"arn": role["Arn"]}))


def assume_role(args):
    sts = client("sts", args.endpoint)
    credentials = sts.assume_role(RoleArn=args.arn, RoleSessionName="stand-in", DurationSeconds=3600)["Credentials"]
    print(json.dumps({"access_key_id": credentials["AccessKeyId"], "secret_access_key": credentials["SecretAccessKey"],
                      "session_token": credentials["SessionToken"]}))


def allow_unsigned(args):
    request = urllib.request.Request(args.endpoint + "/moto-api/reset-auth", data=str(args.count).encode(),
                                     method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()
    print("{}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    role_parser = commands.add_parser("administrator-role")
    role_parser.add_argument("--name", required=True)
    role_parser.set_defaults(run=administrator_role)
    assume_parser = commands.add_parser("assume-role")
    assume_parser.add_argument("--arn", required=True)
    assume_parser.set_defaults(run=assume_role)
    unsigned_parser = commands.add_parser("allow-unsigned")
    unsigned_parser.add_argument("--count", type=int, required=True)
    unsigned_parser.set_defaults(run=allow_unsigned)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
