#!/usr/bin/env python3
"""Proves that credential_endpoints.py answers like AWS, with boto3/botocore as the client.

A stand-in is only worth testing against if the official client accepts it exactly
as it accepts AWS, and refuses it where AWS would refuse. So every check drives
botocore's own credential providers (or botocore's HTTP session, for requests no
provider would send) against the stand-in, each provider in a fresh python process
with a clean environment: no AWS_* variables but the ones the check sets, HOME a
temporary directory (botocore fixes its SSO cache directory from HOME when it is
imported), AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE temporary files.

    check_credential_endpoints.py                      # starts its own stand-in
    check_credential_endpoints.py --endpoint http://127.0.0.1:PORT --config PATH

With --endpoint, PATH must be the stand-in's --config file: the checks rewrite it
(atomically) as they go. Prints ``OK <n> checks`` and exits 0, or prints every
mismatch and exits 1; exits 2 when boto3 is missing or the stand-in cannot start.
"""

import argparse
import datetime
import hashlib
import json
import os
import secrets
import site
import string
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "123456789012"
ROLE = "Admin"
IMDS_ROLE = "fleetform-host"
CONTAINER_TOKEN = "fleetform-container-token"
SESSION_NAME = "corp"
START_URL = "https://corp.awsapps.com/start"
SSO_REGION = "eu-west-1"
PROFILE = "fleetform-sso"


# MARK: The child: one botocore provider in a clean process

def child(spec):
    """Runs one botocore operation and prints its outcome as JSON on stdout."""
    out = {}
    try:
        import boto3
        if spec["kind"] == "session":
            credentials = boto3.Session().get_credentials()
            if credentials is None:
                out = {"credentials": None}
            else:
                # Frozen first: for deferred providers that is what fetches.
                frozen = credentials.get_frozen_credentials()
                expiry = getattr(credentials, "_expiry_time", None)
                out = {
                    "credentials": {"access_key": frozen.access_key, "secret_key": frozen.secret_key,
                                    "token": frozen.token},
                    "method": credentials.method,
                    "expiry": expiry.isoformat() if expiry else None,
                }
        elif spec["kind"] == "sso-endpoint":
            client = boto3.Session().client("sso", region_name=SSO_REGION)
            out = {"endpoint_url": client.meta.endpoint_url}
        elif spec["kind"] == "sso-call":
            from botocore import UNSIGNED
            from botocore.config import Config
            # Parameter validation off, so botocore sends what the check leaves out.
            config = Config(signature_version=UNSIGNED, parameter_validation=False)
            client = boto3.Session().client("sso", region_name=SSO_REGION, config=config)
            response = client.get_role_credentials(**spec["parameters"])
            out = {"response": response.get("roleCredentials")}
        else:
            out = {"error": "UnknownKind", "message": spec["kind"]}
    except Exception as error:  # noqa: BLE001 - the outcome is what the parent checks
        out = {"error": type(error).__name__, "message": str(error)}
        response = getattr(error, "response", None)
        if isinstance(response, dict):
            out["code"] = response.get("Error", {}).get("Code")
            out["error_message"] = response.get("Error", {}).get("Message")
            out["status"] = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    sys.stdout.write(json.dumps(out, default=str) + "\n")


# MARK: The parent

class Checks:
    def __init__(self):
        self.count = 0
        self.failures = []

    def expect(self, condition, description, detail=""):
        self.count += 1
        if not condition:
            self.failures.append(f"{description}{': ' + str(detail) if detail != '' else ''}")
        return condition

    def equal(self, actual, expected, description):
        return self.expect(actual == expected, description, f"expected {expected!r}, got {actual!r}")


def random_credentials():
    alphabet = string.ascii_uppercase + string.digits
    return {
        "access_key_id": "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16)),
        "secret_access_key": secrets.token_urlsafe(30),
        "session_token": "IQoJb3JpZ2luX2Vj" + secrets.token_urlsafe(60),
        "expires_in_seconds": 3600,
    }


class Harness:
    def __init__(self, endpoint, config_path, checks):
        self.endpoint = endpoint.rstrip("/")
        self.config_path = config_path
        self.checks = checks
        self.scratch = tempfile.TemporaryDirectory(prefix="fleetform-credential-check-")
        self.runs = 0
        from botocore.httpsession import URLLib3Session
        self.http = URLLib3Session(timeout=10)

    # The stand-in's configuration

    def configure(self, value):
        temporary = f"{self.config_path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            if isinstance(value, str):
                handle.write(value)
            else:
                json.dump(value, handle)
        os.replace(temporary, self.config_path)

    # Raw requests through botocore's HTTP session

    def raw(self, method, path, headers=None):
        from botocore.awsrequest import AWSRequest
        request = AWSRequest(method=method, url=self.endpoint + path, headers=headers or {})
        response = self.http.send(request.prepare())
        return response.status_code, response.text, response.headers

    # A clean process per botocore provider

    def home(self, config_text="", token_cache=None, files=None):
        self.runs += 1
        home = os.path.join(self.scratch.name, f"home-{self.runs}")
        os.makedirs(os.path.join(home, ".aws"))
        config_file = os.path.join(home, ".aws", "config")
        with open(config_file, "w", encoding="utf-8") as handle:
            handle.write(config_text)
        credentials_file = os.path.join(home, ".aws", "credentials")
        open(credentials_file, "w").close()
        if token_cache:
            cache = os.path.join(home, ".aws", "sso", "cache")
            os.makedirs(cache)
            for key, value in token_cache.items():
                # botocore's SSOTokenLoader: sha1 of the session name (or of the start
                # URL for a legacy profile), hex, plus ".json".
                name = hashlib.sha1(key.encode("utf-8")).hexdigest() + ".json"
                with open(os.path.join(cache, name), "w", encoding="utf-8") as handle:
                    json.dump(value, handle)
        for name, text in (files or {}).items():
            with open(os.path.join(home, name), "w", encoding="utf-8") as handle:
                handle.write(text)
        return home, config_file, credentials_file

    def run(self, spec, environment, home_paths):
        home, config_file, credentials_file = home_paths
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "AWS_CONFIG_FILE": config_file,
            "AWS_SHARED_CREDENTIALS_FILE": credentials_file,
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            # User site-packages are found through HOME unless told otherwise.
            "PYTHONUSERBASE": site.getuserbase(),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        if "PYTHONPATH" in os.environ:
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        env.update(environment)
        completed = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)],
            env=env, capture_output=True, text=True, timeout=120)
        lines = [line for line in completed.stdout.splitlines() if line.strip()]
        if completed.returncode != 0 or not lines:
            return {"error": "ChildFailed",
                    "message": f"exit {completed.returncode}: {completed.stderr.strip()[-2000:]}"}
        return json.loads(lines[-1])

    def session(self, environment, home_paths):
        return self.run({"kind": "session"}, environment, home_paths)

    # Shared checks

    def expect_credentials(self, outcome, keys, method, what, lifetime=None):
        checks = self.checks
        if not checks.expect(outcome.get("credentials") is not None, f"{what}: botocore found credentials", outcome):
            return
        got = outcome["credentials"]
        checks.equal(got["access_key"], keys["access_key_id"], f"{what}: access key id")
        checks.equal(got["secret_key"], keys["secret_access_key"], f"{what}: secret access key")
        checks.equal(got["token"], keys["session_token"], f"{what}: session token")
        checks.equal(outcome.get("method"), method, f"{what}: botocore's provider")
        expected = lifetime if lifetime is not None else keys["expires_in_seconds"]
        expiry = outcome.get("expiry")
        if checks.expect(expiry is not None, f"{what}: botocore read an expiration", outcome):
            remaining = datetime.datetime.fromisoformat(expiry).timestamp() - time.time()
            checks.expect(abs(remaining - expected) < 120, f"{what}: expiration is now + {expected} s",
                          f"{remaining:.0f} s from now")

    def expect_error(self, outcome, error, what, code=None, status=None, message=None):
        checks = self.checks
        checks.equal(outcome.get("error"), error, f"{what}: botocore raises {error}")
        if code is not None:
            checks.equal(outcome.get("code"), code, f"{what}: error code")
        if status is not None:
            checks.equal(outcome.get("status"), status, f"{what}: HTTP status")
        if message is not None:
            checks.equal(outcome.get("error_message"), message, f"{what}: error message")


def full_config(keys):
    return {
        "credentials": keys,
        "imds": {"role_name": IMDS_ROLE},
        "container": {"authorization_token": CONTAINER_TOKEN},
        "sso": {"access_token": "sso-access-token-" + secrets.token_hex(16), "account_id": ACCOUNT, "role_name": ROLE},
    }


def check_imds(h, keys):
    c = h.checks
    config = full_config(keys)
    h.configure(config)
    environment = {
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": h.endpoint + "/",
        "AWS_EC2_METADATA_V1_DISABLED": "true",
        # botocore's default is 1 s; a loaded two-core test machine can miss that.
        "AWS_METADATA_SERVICE_TIMEOUT": "10",
    }
    h.expect_credentials(h.session(environment, h.home()), keys, "iam-role", "IMDS")

    status, _, _ = h.raw("GET", "/latest/meta-data/iam/security-credentials/")
    c.equal(status, 401, "IMDS GET without a token")
    status, _, _ = h.raw("GET", "/latest/meta-data/iam/security-credentials/",
                         {"X-aws-ec2-metadata-token": "made-up"})
    c.equal(status, 401, "IMDS GET with a token it never issued")
    for ttl in (None, "0", "21601", "ten"):
        headers = {} if ttl is None else {"X-aws-ec2-metadata-token-ttl-seconds": ttl}
        status, _, _ = h.raw("PUT", "/latest/api/token", headers)
        c.equal(status, 400, f"IMDS PUT token with TTL {ttl}")
    status, _, _ = h.raw("GET", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    c.equal(status, 405, "IMDS GET on the token path")
    status, _, _ = h.raw("PUT", "/latest/api/token",
                         {"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.1"})
    c.equal(status, 403, "IMDS PUT token through a proxy (X-Forwarded-For)")
    status, token, headers = h.raw("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
    c.equal(status, 200, "IMDS PUT token with TTL 21600")
    c.equal(headers.get("X-aws-ec2-metadata-token-ttl-seconds"), "21600", "IMDS token answer echoes its TTL")
    auth = {"X-aws-ec2-metadata-token": token}
    status, body, _ = h.raw("GET", "/latest/meta-data/iam/security-credentials/", auth)
    c.equal((status, body), (200, IMDS_ROLE), "IMDS role list")
    status, body, _ = h.raw("GET", f"/latest/meta-data/iam/security-credentials/{IMDS_ROLE}", auth)
    document = json.loads(body) if status == 200 else {}
    c.equal((status, document.get("Code"), document.get("Type")), (200, "Success", "AWS-HMAC"),
            "IMDS credentials document")
    c.expect(all(k in document for k in ("LastUpdated", "Expiration")) and document["Expiration"].endswith("Z"),
             "IMDS credentials document carries LastUpdated and an ISO-8601 Z Expiration", document)
    status, _, _ = h.raw("GET", "/latest/meta-data/iam/security-credentials/other-role", auth)
    c.equal(status, 404, "IMDS credentials of a role the instance does not have")
    status, _, _ = h.raw("GET", "/latest/meta-data/iam/security-credentials/",
                         {**auth, "X-Forwarded-For": "10.0.0.1"})
    c.equal(status, 403, "IMDS GET through a proxy (X-Forwarded-For)")
    status, short, _ = h.raw("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "1"})
    time.sleep(1.5)
    status, _, _ = h.raw("GET", "/latest/meta-data/iam/security-credentials/", {"X-aws-ec2-metadata-token": short})
    c.equal(status, 401, "IMDS GET with an expired token")

    # No IMDS section: the token PUT gets 404, which botocore takes for "no IMDSv2" and,
    # with IMDSv1 disabled, raises out of the whole chain instead of finding nothing.
    h.configure({k: v for k, v in config.items() if k != "imds"})
    outcome = h.session(environment, h.home())
    h.expect_error(outcome, "MetadataRetrievalError", "IMDS absent, IMDSv1 disabled")
    outcome = h.session({**environment, "AWS_EC2_METADATA_V1_DISABLED": "false"}, h.home())
    c.equal(outcome.get("credentials", "error"), None, "IMDS absent, IMDSv1 allowed: botocore finds no credentials")


def check_container(h, keys):
    c = h.checks
    config = full_config(keys)
    h.configure(config)
    uri = h.endpoint + "/container/creds"
    h.expect_credentials(
        h.session({"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN": CONTAINER_TOKEN},
                  h.home()), keys, "container-role", "container, token in the environment")
    # EKS Pod Identity writes the token file without a newline; botocore sends it verbatim.
    home = h.home(files={"token": CONTAINER_TOKEN})
    token_file = os.path.join(home[0], "token")
    h.expect_credentials(
        h.session({"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": token_file},
                  home), keys, "container-role", "container, token file")
    h.expect_credentials(
        h.session({"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": token_file,
                   "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong"}, home),
        keys, "container-role", "container, token file wins over the variable")
    outcome = h.session({"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong"},
                        h.home())
    h.expect_error(outcome, "CredentialRetrievalError", "container, wrong token")
    c.expect("401" in outcome.get("message", ""), "container, wrong token: botocore reports the 401", outcome)
    home = h.home(files={"token": CONTAINER_TOKEN + "\n"})
    outcome = h.session({"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri,
                         "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": os.path.join(home[0], "token")}, home)
    h.expect_error(outcome, "ValueError", "container, token file ending in a newline (botocore refuses it)")

    status, body, headers = h.raw("GET", "/container/creds")
    c.equal(status, 401, "container GET without Authorization")
    c.expect("message" in json.loads(body or "{}"), "container 401 has a JSON error body", body)
    status, body, _ = h.raw("GET", "/container/creds", {"Authorization": CONTAINER_TOKEN})
    document = json.loads(body) if status == 200 else {}
    c.equal(sorted(document), ["AccessKeyId", "Expiration", "RoleArn", "SecretAccessKey", "Token"],
            "container credentials document fields")

    # No token configured: none is needed.
    h.configure({**config, "container": {}})
    h.expect_credentials(h.session({"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri}, h.home()), keys,
                         "container-role", "container without an authorization token")


def sso_config(legacy, role=ROLE, account=ACCOUNT):
    if legacy:
        return (f"[profile {PROFILE}]\nsso_start_url = {START_URL}\nsso_region = {SSO_REGION}\n"
                f"sso_account_id = {account}\nsso_role_name = {role}\nregion = us-east-1\n")
    return (f"[profile {PROFILE}]\nsso_session = {SESSION_NAME}\nsso_account_id = {account}\n"
            f"sso_role_name = {role}\nregion = us-east-1\n\n"
            f"[sso-session {SESSION_NAME}]\nsso_start_url = {START_URL}\nsso_region = {SSO_REGION}\n"
            "sso_registration_scopes = sso:account:access\n")


def sso_cache(legacy, access_token):
    token = {"startUrl": START_URL, "region": SSO_REGION, "accessToken": access_token,
             "expiresAt": "2099-01-01T00:00:00Z"}
    return {START_URL if legacy else SESSION_NAME: token}


def check_sso(h, keys):
    c = h.checks
    config = full_config(keys)
    h.configure(config)
    access_token = config["sso"]["access_token"]
    environment = {"AWS_PROFILE": PROFILE, "AWS_ENDPOINT_URL_SSO": h.endpoint}

    outcome = h.run({"kind": "sso-endpoint"}, environment, h.home(sso_config(False)))
    c.equal(outcome.get("endpoint_url"), h.endpoint, "botocore's sso client takes AWS_ENDPOINT_URL_SSO")
    outcome = h.run({"kind": "sso-endpoint"}, {"AWS_PROFILE": PROFILE}, h.home(sso_config(False)))
    c.equal(outcome.get("endpoint_url"), f"https://portal.sso.{SSO_REGION}.amazonaws.com",
            "botocore's sso client without AWS_ENDPOINT_URL_SSO")

    for legacy in (False, True):
        form = "SSO legacy profile" if legacy else "SSO sso-session profile"
        h.expect_credentials(h.session(environment, h.home(sso_config(legacy), sso_cache(legacy, access_token))),
                             keys, "sso", form)
        outcome = h.session(environment, h.home(sso_config(legacy), sso_cache(legacy, "not-the-token")))
        h.expect_error(outcome, "UnauthorizedSSOTokenError", f"{form}, token the portal does not know")
        outcome = h.session(environment, h.home(sso_config(legacy, role="Other"), sso_cache(legacy, access_token)))
        h.expect_error(outcome, "ClientError", f"{form}, role not assigned", code="ForbiddenException",
                       status=403, message="No access")
    outcome = h.session(environment, h.home(sso_config(False, account="210987654321"), sso_cache(False, access_token)))
    h.expect_error(outcome, "ClientError", "SSO, account not assigned", code="ForbiddenException", status=403)

    outcome = h.run({"kind": "sso-call", "parameters": {"roleName": ROLE, "accessToken": access_token}},
                    environment, h.home(sso_config(False)))
    h.expect_error(outcome, "InvalidRequestException", "SSO GetRoleCredentials without accountId",
                   code="InvalidRequestException", status=400)
    outcome = h.run({"kind": "sso-call", "parameters": {"roleName": ROLE, "accountId": ACCOUNT,
                                                        "accessToken": access_token}},
                    environment, h.home(sso_config(False)))
    response = outcome.get("response") or {}
    c.equal(response.get("accessKeyId"), keys["access_key_id"], "SSO GetRoleCredentials through botocore's client")
    c.expect(isinstance(response.get("expiration"), int)
             and abs(response["expiration"] / 1000 - time.time() - keys["expires_in_seconds"]) < 120,
             "SSO expiration is epoch milliseconds, now + expires_in_seconds", response.get("expiration"))

    status, body, headers = h.raw("GET", f"/federation/credentials?role_name={ROLE}&account_id={ACCOUNT}")
    c.equal((status, headers.get("x-amzn-ErrorType"), json.loads(body or "{}").get("message")),
            (401, "UnauthorizedException", "Session token not found or invalid"),
            "SSO portal without x-amz-sso_bearer_token")


def check_configuration(h, keys):
    c = h.checks
    uri = h.endpoint + "/container/creds"
    fresh = {**random_credentials(), "expires_in_seconds": 7200}
    h.configure({"credentials": fresh, "container": {}})
    h.expect_credentials(h.session({"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri}, h.home()), fresh,
                         "container-role", "configuration read again on the next request")

    h.configure({"credentials": keys})
    for method, path, what in (("PUT", "/latest/api/token", "IMDS"), ("GET", "/container/creds", "container"),
                               ("GET", "/federation/credentials?role_name=a&account_id=b", "SSO")):
        status, _, _ = h.raw(method, path, {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        c.equal(status, 404, f"{what} section absent: 404")
    status, _, _ = h.raw("GET", "/elsewhere")
    c.equal(status, 404, "a path no endpoint serves")

    h.configure('{"credentials": {"access_key_id": "AS')
    status, _, _ = h.raw("GET", "/container/creds")
    c.equal(status, 500, "half-written configuration: 500")
    os.remove(h.config_path)
    status, _, _ = h.raw("GET", "/container/creds")
    c.equal(status, 500, "missing configuration: 500")
    h.configure({"container": {}})
    status, _, _ = h.raw("GET", "/container/creds")
    c.equal(status, 500, "an endpoint configured without credentials: 500")
    h.configure(full_config(keys))


def start_own_stand_in(directory):
    config_path = os.path.join(directory, "config.json")
    with open(config_path, "w", encoding="utf-8") as handle:
        handle.write("{}")
    log = open(os.path.join(directory, "stand-in.log"), "w+", encoding="utf-8")
    process = subprocess.Popen([sys.executable, os.path.join(HERE, "credential_endpoints.py"), "--config", config_path],
                               stdout=subprocess.PIPE, stderr=log, text=True)
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        log.seek(0)
        raise SystemExit(f"credential_endpoints.py did not start: {line!r}\n{log.read()}")
    return process, f"http://127.0.0.1:{int(line.split()[1])}", config_path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", help="http://127.0.0.1:PORT of a running credential_endpoints.py")
    parser.add_argument("--config", help="that stand-in's --config file (rewritten by the checks)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    try:
        import boto3
        import botocore
    except ImportError as error:
        sys.stderr.write(f"check_credential_endpoints.py needs boto3 and botocore for {sys.executable}: {error}\n"
                         f"install them with: {sys.executable} -m pip install boto3\n")
        sys.exit(2)
    if bool(args.endpoint) != bool(args.config):
        parser.error("--endpoint and --config go together")

    own = None
    scratch = tempfile.TemporaryDirectory(prefix="fleetform-credential-stand-in-")
    if args.endpoint:
        endpoint, config_path = args.endpoint, args.config
    else:
        own, endpoint, config_path = start_own_stand_in(scratch.name)
    checks = Checks()
    try:
        harness = Harness(endpoint, config_path, checks)
        keys = random_credentials()
        for step in (check_imds, check_container, check_sso, check_configuration):
            step(harness, keys)
    finally:
        if own is not None:
            own.terminate()
            own.wait(timeout=10)
    if checks.failures:
        sys.stderr.write(f"{len(checks.failures)} of {checks.count} checks failed (boto3 {boto3.__version__}, "
                         f"botocore {botocore.__version__}):\n")
        for failure in checks.failures:
            sys.stderr.write(f"  - {failure}\n")
        sys.exit(1)
    print(f"OK {checks.count} checks")


if __name__ == "__main__":
    main()
