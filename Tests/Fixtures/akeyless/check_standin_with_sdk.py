#!/usr/bin/env python3
"""Drives the Akeyless stand-in with the official `akeyless` Python SDK as the client.

    check_standin_with_sdk.py --url http://127.0.0.1:PORT --config PATH
    check_standin_with_sdk.py            # starts akeyless_standin.py itself

With --url the stand-in is one someone else started; --config is the JSON file it
reads on every request (this script takes the access id and key from it, rewrites it
for the expiry and fault checks, and puts it back afterwards). Every Akeyless call
goes through `akeyless.V2Api`; the few malformed requests the SDK's own models cannot
express (an unknown field, a missing required field) go through the SDK's
`ApiClient.call_api`. Exits non-zero with a message at the first mismatch, else
prints `OK <n> checks`.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time

try:
    import akeyless
    from akeyless.rest import ApiException
except ImportError as error:  # the Swift test reports this line
    sys.stdout.write(f"MISSING the akeyless Python package ({error}); run scripts/setup "
                     "(pip install 'akeyless>=5.0,<5.1')\n")
    sys.exit(3)

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT_A = "123456789012"
ACCOUNT_B = "210987654321"
ACCOUNT_C = "333333333333"


class Mismatch(Exception):
    pass


class Checks:
    def __init__(self):
        self.count = 0

    def that(self, condition, message):
        self.count += 1
        if not condition:
            raise Mismatch(message)

    def equal(self, actual, expected, what):
        self.that(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")

    def fails(self, statuses, call, what, message_contains=None):
        """`call` must raise ApiException with a status in `statuses` and a JSONError body."""
        try:
            result = call()
        except ApiException as error:
            self.that(error.status in statuses, f"{what}: expected HTTP {statuses}, got {error.status}: {error.body}")
            try:
                body = json.loads(error.body)
            except (TypeError, ValueError):
                raise Mismatch(f"{what}: error body is not JSON: {error.body!r}")
            self.that(isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"],
                      f'{what}: error body is not {{"error": "..."}}: {error.body!r}')
            if message_contains:
                self.that(message_contains in body["error"].lower(),
                          f"{what}: error message lacks {message_contains!r}: {body['error']!r}")
            return error
        raise Mismatch(f"{what}: expected HTTP {statuses}, the call succeeded with {result!r}")


def write_config(path, config):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(config, handle)
    os.replace(temporary, path)


def signed_get_caller_identity_cloud_id():
    """An AWS IAM cloud id as akeyless's cloud-id builders make it: base64 of JSON with
    sts_request_method and base64 url, body and headers of a SigV4-signed, unsent
    sts:GetCallerIdentity (made-up credentials: the stand-in sends nothing to AWS)."""
    access_key_id, secret, session_token = "ASIAEXAMPLESTANDIN01", "standin-secret", "standin-session"
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    moment = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = moment.strftime("%Y%m%dT%H%M%SZ"), moment.strftime("%Y%m%d")
    content_type = "application/x-www-form-urlencoded; charset=utf-8"
    signed_headers = "content-length;content-type;host;x-amz-date;x-amz-security-token"
    canonical = "\n".join([
        "POST", "/", "",
        f"content-length:{len(body)}\ncontent-type:{content_type}\nhost:sts.amazonaws.com\n"
        f"x-amz-date:{amz_date}\nx-amz-security-token:{session_token}\n",
        signed_headers, hashlib.sha256(body.encode()).hexdigest()])
    scope = f"{day}/us-east-1/sts/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, "us-east-1", "sts", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {
        "Authorization": [f"AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, "
                          f"SignedHeaders={signed_headers}, Signature={signature}"],
        "Content-Length": [str(len(body))],
        "Content-Type": [content_type],
        "X-Amz-Date": [amz_date],
        "X-Amz-Security-Token": [session_token],
    }
    b64 = lambda text: base64.b64encode(text.encode()).decode()  # noqa: E731
    data = {"sts_request_method": "POST", "sts_request_url": b64("https://sts.amazonaws.com/"),
            "sts_request_body": b64(body), "sts_request_headers": b64(json.dumps(headers))}
    return b64(json.dumps(data))


def raw_call(api, operation, body):
    """A request the SDK's models cannot build, sent by the SDK's own ApiClient."""
    return api.api_client.call_api(
        f"/{operation}", "POST", header_params={"Accept": "application/json", "Content-Type": "application/json"},
        body=body, response_type="object", auth_settings=[], _return_http_data_only=True)


def run(url, config_path):
    with open(config_path, "r", encoding="utf-8") as handle:
        original_config = json.load(handle)
    access_keys = original_config.get("access_keys") or {}
    if not access_keys:
        raise Mismatch(f"{config_path} has no access_keys to log in with")
    access_id, access_key = next(iter(access_keys.items()))

    configuration = akeyless.Configuration(host=url)
    api = akeyless.V2Api(akeyless.ApiClient(configuration))
    check = Checks()

    try:
        write_config(config_path, dict(original_config, fault_percent=0, token_ttl_seconds=3600))

        # auth -----------------------------------------------------------------------
        answer = api.auth(akeyless.Auth(access_id=access_id, access_key=access_key))
        check.that(isinstance(answer, akeyless.AuthOutput) and answer.token, f"auth answered {answer!r}")
        token = answer.token
        check.that(bool(answer.expiration), "auth answered no expiration")
        check.fails({401}, lambda: api.auth(akeyless.Auth(access_id=access_id, access_key=access_key + "x")),
                    "auth with a wrong access key")
        check.fails({401}, lambda: api.auth(akeyless.Auth(access_id="p-nosuchid", access_key=access_key)),
                    "auth with an unknown access id")
        check.fails({401}, lambda: api.target_get_details(akeyless.TargetGetDetails(name="/x")),
                    "a call without a token")
        check.fails({401}, lambda: api.target_get_details(akeyless.TargetGetDetails(name="/x", token="t-forged")),
                    "a call with a token auth never issued")

        # validation -----------------------------------------------------------------
        check.fails({400}, lambda: raw_call(api, "target-get-details", {"name": "/x", "token": token, "colour": "red"}),
                    "an unknown field", message_contains="unknown field")
        check.fails({400}, lambda: raw_call(api, "target-create-aws", {"token": token, "name": "/y"}),
                    "target-create-aws without access-key/access-key-id", message_contains="access-key")
        check.fails({400}, lambda: raw_call(api, "auth-method-create-aws-iam", {"token": token, "name": "/y"}),
                    "auth-method-create-aws-iam without bound-aws-account-id",
                    message_contains="bound-aws-account-id")
        check.fails({400}, lambda: raw_call(api, "target-get-details", {"token": token, "name": 7}),
                    "a field of the wrong type")

        # targets --------------------------------------------------------------------
        name = f"fleetform/aws/{ACCOUNT_A}"  # no leading slash: Akeyless adds it
        created = api.target_create_aws(akeyless.TargetCreateAws(
            name=name, access_key="", access_key_id="", use_gw_cloud_identity=True, region="eu-west-1",
            description=f"fleetform: account {ACCOUNT_A}", token=token))
        check.that(isinstance(created, akeyless.TargetCreateOutput) and isinstance(created.target_id, int),
                   f"target-create-aws answered {created!r}")
        check.fails({409}, lambda: api.target_create_aws(akeyless.TargetCreateAws(
            name="/" + name, access_key="", access_key_id="", use_gw_cloud_identity=True, token=token)),
            "target-create-aws of an existing name", message_contains="already exists")
        details = api.target_get_details(akeyless.TargetGetDetails(name="/" + name, token=token))
        check.that(isinstance(details, akeyless.GetTargetDetailsOutput), f"target-get-details answered {details!r}")
        aws = details.value.aws_target_details
        check.that(aws is not None, "target-get-details has no value.aws_target_details")
        check.equal(aws.aws_region, "eu-west-1", "aws_target_details.aws_region")
        check.equal(aws.use_gw_cloud_identity, True, "aws_target_details.use_gw_cloud_identity")
        check.equal(details.target.target_name, "/" + name, "target.target_name")
        check.equal(details.target.target_id, created.target_id, "target.target_id")
        check.equal(details.target.comment, f"fleetform: account {ACCOUNT_A}", "target.comment (the description)")
        check.equal(details.target.target_type, "aws", "target.target_type")

        updated = api.target_update_aws(akeyless.TargetUpdateAws(
            name="/" + name, access_key="", access_key_id="", use_gw_cloud_identity=True, region="eu-central-1",
            description="changed", token=token))
        check.that(isinstance(updated, akeyless.TargetUpdateOutput), f"target-update-aws answered {updated!r}")
        details = api.target_get_details(akeyless.TargetGetDetails(name=name, token=token))
        check.equal(details.value.aws_target_details.aws_region, "eu-central-1", "region after target-update-aws")
        check.equal(details.target.comment, "changed", "description after target-update-aws")
        check.equal(details.value.aws_target_details.use_gw_cloud_identity, True,
                    "use_gw_cloud_identity after target-update-aws")
        check.fails({404}, lambda: api.target_update_aws(akeyless.TargetUpdateAws(
            name="/fleetform/aws/000000000000", access_key="", access_key_id="", token=token)),
            "target-update-aws of a missing target")

        api.target_delete(akeyless.TargetDelete(name="/" + name, token=token))
        check.fails({404}, lambda: api.target_get_details(akeyless.TargetGetDetails(name="/" + name, token=token)),
                    "target-get-details after target-delete")
        check.fails({404}, lambda: api.target_delete(akeyless.TargetDelete(name="/" + name, token=token)),
                    "target-delete of a missing target")

        # auth methods ---------------------------------------------------------------
        method = "/fleetform/aws-gateways"
        created = api.auth_method_create_aws_iam(akeyless.AuthMethodCreateAwsIam(
            name=method, bound_aws_account_id=[ACCOUNT_A, ACCOUNT_B], bound_role_name=["akeyless-gateway"],
            description="fleetform gateways", token=token))
        check.that(isinstance(created, akeyless.AuthMethodCreateOutput) and (created.access_id or "").startswith("p-"),
                   f"auth-method-create-aws-iam answered {created!r}")
        check.fails({409}, lambda: api.auth_method_create_aws_iam(akeyless.AuthMethodCreateAwsIam(
            name=method, bound_aws_account_id=[ACCOUNT_A], token=token)),
            "auth-method-create-aws-iam of an existing name", message_contains="already exists")
        got = api.auth_method_get(akeyless.AuthMethodGet(name=method, token=token))
        check.that(isinstance(got, akeyless.AuthMethod), f"auth-method-get answered {got!r}")
        check.equal(got.auth_method_access_id, created.access_id, "auth_method_access_id")
        check.equal(got.auth_method_name, method, "auth_method_name")
        rules = got.access_info.aws_iam_access_rules
        check.that(rules is not None, "auth-method-get has no access_info.aws_iam_access_rules")
        check.equal(rules.account_id, [ACCOUNT_A, ACCOUNT_B], "aws_iam_access_rules.account_id")
        check.equal(rules.role_name, ["akeyless-gateway"], "aws_iam_access_rules.role_name")
        check.equal(got.description, "fleetform gateways", "auth method description")

        api.auth_method_update_aws_iam(akeyless.AuthMethodUpdateAwsIam(
            name=method, bound_aws_account_id=[ACCOUNT_A, ACCOUNT_B, ACCOUNT_C],
            bound_role_name=["akeyless-gateway"], token=token))
        got = api.auth_method_get(akeyless.AuthMethodGet(name=method, token=token))
        check.equal(got.access_info.aws_iam_access_rules.account_id, [ACCOUNT_A, ACCOUNT_B, ACCOUNT_C],
                    "account_id after auth-method-update-aws-iam")
        check.equal(got.description, "fleetform gateways", "description kept by an update that did not set it")
        check.equal(got.auth_method_access_id, created.access_id, "access id kept by auth-method-update-aws-iam")
        check.fails({404}, lambda: api.auth_method_update_aws_iam(akeyless.AuthMethodUpdateAwsIam(
            name="/fleetform/none", bound_aws_account_id=[ACCOUNT_A], token=token)),
            "auth-method-update-aws-iam of a missing method")

        # aws_iam login with the method's access id and a signed GetCallerIdentity.
        iam = api.auth(akeyless.Auth(access_type="aws_iam", access_id=created.access_id,
                                     cloud_id=signed_get_caller_identity_cloud_id()))
        check.that(bool(iam.token), f"aws_iam auth answered {iam!r}")
        check.fails({401}, lambda: api.auth(akeyless.Auth(
            access_type="aws_iam", access_id=created.access_id,
            cloud_id=base64.b64encode(b'{"sts_request_method": "POST"}').decode())),
            "aws_iam auth with a malformed cloud id")

        api.auth_method_delete(akeyless.AuthMethodDelete(name=method, token=token))
        check.fails({404}, lambda: api.auth_method_get(akeyless.AuthMethodGet(name=method, token=token)),
                    "auth-method-get after auth-method-delete")
        check.fails({404}, lambda: api.auth_method_delete(akeyless.AuthMethodDelete(name=method, token=token)),
                    "auth-method-delete of a missing method")

        # expiry ---------------------------------------------------------------------
        write_config(config_path, dict(original_config, fault_percent=0, token_ttl_seconds=1))
        short = api.auth(akeyless.Auth(access_id=access_id, access_key=access_key)).token
        time.sleep(1.5)
        check.fails({401}, lambda: api.target_get_details(akeyless.TargetGetDetails(name="/x", token=short)),
                    "a call with an expired token", message_contains="expired")

        # faults ---------------------------------------------------------------------
        write_config(config_path, dict(original_config, fault_percent=100, fault_statuses=[429, 503]))
        seen = set()
        for _ in range(8):
            error = check.fails({429, 503}, lambda: api.target_get_details(
                akeyless.TargetGetDetails(name="/x", token=token)), "a call with fault_percent 100")
            seen.add(error.status)
        check.fails({429, 503}, lambda: api.auth(akeyless.Auth(access_id=access_id, access_key=access_key)),
                    "auth with fault_percent 100")
    finally:
        write_config(config_path, original_config)
    return check.count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="the stand-in's base URL; without it the script starts one")
    parser.add_argument("--config", help="the stand-in's configuration file (required with --url)")
    args = parser.parse_args()

    process = None
    directory = None
    try:
        if args.url:
            if not args.config:
                parser.error("--config is required with --url")
            url, config_path = args.url, args.config
        else:
            directory = tempfile.TemporaryDirectory(prefix="akeyless-standin-check-")
            config_path = os.path.join(directory.name, "config.json")
            write_config(config_path, {"access_keys": {"p-check0001": "check-key-" + os.urandom(8).hex()},
                                       "token_ttl_seconds": 3600, "fault_percent": 0})
            process = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "akeyless_standin.py"), "--config", config_path],
                stdout=subprocess.PIPE, text=True)
            line = process.stdout.readline()
            if not line.startswith("PORT "):
                raise Mismatch(f"the stand-in printed {line!r} instead of PORT <n>")
            url = f"http://127.0.0.1:{int(line.split()[1])}"
        count = run(url, config_path)
    except Mismatch as error:
        sys.stdout.write(f"MISMATCH {error}\n")
        return 1
    except Exception as error:  # an SDK error nobody expected is a mismatch too
        sys.stdout.write(f"MISMATCH unexpected {type(error).__name__}: {error}\n")
        return 1
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        if directory is not None:
            directory.cleanup()
    sys.stdout.write(f"OK {count} checks\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
