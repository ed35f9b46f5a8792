#!/usr/bin/env python3
"""Buckets and objects in moto's S3 for the S3 state tests.

    moto_s3.py --endpoint URL create-bucket --bucket NAME
        Creates the bucket (us-east-1). Prints {}.

    moto_s3.py --endpoint URL list --bucket NAME
        Prints {"keys": [...]}: every object key in the bucket, sorted.

    moto_s3.py --endpoint URL get --bucket NAME --key KEY
        Prints the object's body (a Terraform state is JSON).

    moto_s3.py --endpoint URL put --bucket NAME --key KEY --body TEXT
        Writes the object (a lock file of the test's own). Prints {}.
"""

import argparse
import json
import os
import sys

import boto3
from botocore.config import Config


def client(endpoint):
    return boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint,
                        aws_access_key_id=os.environ.get("MOTO_ORG_ACCESS_KEY_ID", "testing"),
                        aws_secret_access_key=os.environ.get("MOTO_ORG_SECRET_ACCESS_KEY", "testing"),
                        config=Config(retries={"max_attempts": 2, "mode": "standard"}, s3={"addressing_style": "path"}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("command", choices=["create-bucket", "list", "get", "put"])
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key")
    parser.add_argument("--body")
    args = parser.parse_args()
    s3 = client(args.endpoint)
    if args.command == "create-bucket":
        s3.create_bucket(Bucket=args.bucket)
        print("{}")
    elif args.command == "list":
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
            keys += [item["Key"] for item in page.get("Contents", [])]
        print(json.dumps({"keys": sorted(keys)}))
    elif args.command == "put":
        s3.put_object(Bucket=args.bucket, Key=args.key, Body=args.body.encode("utf-8"))
        print("{}")
    else:
        sys.stdout.write(s3.get_object(Bucket=args.bucket, Key=args.key)["Body"].read().decode("utf-8"))


main()
