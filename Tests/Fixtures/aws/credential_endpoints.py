#!/usr/bin/env python3
"""Strict local stand-ins for three AWS credential endpoints, for fleetform's tests.

No real server can provide these here (they live on link-local addresses or need a
real IAM Identity Center login), so this one process answers all three the way AWS
does, refusing every request a real endpoint would refuse:

* EC2 instance metadata, IMDSv2 only (an instance with ``HttpTokens=required``):
  ``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds`` in
  1..21600, then ``GET /latest/meta-data/iam/security-credentials/[<role>]`` with
  ``X-aws-ec2-metadata-token``. A request carrying ``X-Forwarded-For`` gets 403.
* Container credentials (ECS, EKS Pod Identity): ``GET`` on any path under
  ``/container/``, with ``Authorization`` equal to the configured token if one is set.
* The IAM Identity Center portal: ``GET /federation/credentials?role_name=&account_id=``
  with ``x-amz-sso_bearer_token``.

It listens on 127.0.0.1 (port 0 unless --port is given), prints one line
``PORT <n>`` on stdout once it accepts connections, and logs every request on
stderr as one line ``REQUEST <METHOD> <path-without-query> <status>``; configuration
problems are logged as lines starting with ``CONFIG``.

The configuration (--config) is JSON, read again on every request so a test can
change it (write it atomically; a missing or half-written file is logged and the
request answered with 500)::

    {"credentials": {"access_key_id": "...", "secret_access_key": "...",
                     "session_token": "...", "expires_in_seconds": 3600},
     "imds": {"role_name": "fleetform-host"},
     "container": {"authorization_token": "tok"},
     "sso": {"access_token": "...", "account_id": "123456789012", "role_name": "Admin"}}

Every section is optional: an endpoint whose section is absent answers 404 to
everything. Credentials come only from this file, never from the command line, so
they do not show in process listings. Every answer's expiration is now +
``expires_in_seconds``.
"""

import argparse
import datetime
import http.server
import json
import secrets
import sys
import threading
import time
import urllib.parse
import uuid

IMDS_PREFIX = "/latest/"
IMDS_TOKEN_PATH = "/latest/api/token"
IMDS_CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"
CONTAINER_PREFIX = "/container/"
SSO_PATH = "/federation/credentials"
IMDS_MAX_TTL = 21600

_log_lock = threading.Lock()


def log(message):
    with _log_lock:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


class ConfigError(Exception):
    pass


def read_config(path):
    """The parsed configuration; raises ConfigError (answered with 500) when unusable."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise ConfigError(f"unreadable {path}: {error}")
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ConfigError(f"invalid JSON in {path}: {error}")
    if not isinstance(value, dict):
        raise ConfigError(f"{path} does not hold a JSON object")
    return value


def section(config, name):
    value = config.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"section {name!r} is not an object")
    return value


def credentials_of(config):
    """(access key, secret key, session token, expiration as an aware datetime)."""
    credentials = section(config, "credentials")
    if credentials is None:
        raise ConfigError("an endpoint is configured but the 'credentials' section is missing")
    try:
        access_key = str(credentials["access_key_id"])
        secret_key = str(credentials["secret_access_key"])
        token = str(credentials["session_token"])
    except KeyError as error:
        raise ConfigError(f"'credentials' lacks {error}")
    try:
        lifetime = float(credentials.get("expires_in_seconds", 3600))
    except (TypeError, ValueError):
        raise ConfigError("'credentials.expires_in_seconds' is not a number")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return access_key, secret_key, token, now + datetime.timedelta(seconds=lifetime)


def iso8601(moment):
    # The exact form IMDS and ECS send; botocore parses IMDS expirations with
    # "%Y-%m-%dT%H:%M:%SZ" and nothing looser.
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a kept-alive connection
    # waits for the client's delayed ACK (40 ms) before the body.
    disable_nagle_algorithm = True
    server_version = "fleetform-credential-endpoints"

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass  # requests are logged by handle_any, in a fixed format

    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_any(self):
        self.read_body()
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        self.query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        try:
            config = read_config(self.server.config_path)
            if path.startswith(IMDS_PREFIX):
                status = self.imds(path, config)
            elif path.startswith(CONTAINER_PREFIX):
                status = self.container(config)
            elif path == SSO_PATH:
                status = self.sso(config)
            else:
                status = self.text(404, "Not Found")
        except ConfigError as error:
            log(f"CONFIG {error}")
            status = self.text(500, f"stand-in configuration problem: {error}")
        log(f"REQUEST {self.command} {path} {status}")

    # MARK: IMDSv2

    def imds(self, path, config):
        imds = section(config, "imds")
        if imds is None:
            return self.text(404, "Not Found")
        # IMDS refuses anything that came through a proxy, which is how it stops SSRF.
        if "X-Forwarded-For" in self.headers:
            return self.text(403, "Forbidden")
        if path == IMDS_TOKEN_PATH:
            if self.command != "PUT":
                return self.text(405, "Method Not Allowed")
            ttl_text = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            try:
                ttl = int(ttl_text)
            except (TypeError, ValueError):
                return self.text(400, "Bad Request")
            if not 1 <= ttl <= IMDS_MAX_TTL:
                return self.text(400, "Bad Request")
            token = secrets.token_urlsafe(42)
            self.server.remember_token(token, ttl)
            return self.text(200, token, [("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))])
        if self.command != "GET":
            return self.text(405, "Method Not Allowed")
        if not self.server.token_is_valid(self.headers.get("X-aws-ec2-metadata-token")):
            return self.text(401, "Unauthorized")
        role = imds.get("role_name")
        if path == IMDS_CREDENTIALS_PATH:
            if not role:
                return self.text(404, "Not Found")
            return self.text(200, str(role))
        if path.startswith(IMDS_CREDENTIALS_PATH) and role and path[len(IMDS_CREDENTIALS_PATH):] == role:
            access_key, secret_key, token, expiration = credentials_of(config)
            now = datetime.datetime.now(datetime.timezone.utc)
            return self.json(200, {
                "Code": "Success",
                "LastUpdated": iso8601(now),
                "Type": "AWS-HMAC",
                "AccessKeyId": access_key,
                "SecretAccessKey": secret_key,
                "Token": token,
                "Expiration": iso8601(expiration),
            }, content_type="text/plain")
        return self.text(404, "Not Found")

    # MARK: Container credentials

    def container(self, config):
        container = section(config, "container")
        if container is None:
            return self.text(404, "Not Found")
        if self.command != "GET":
            return self.text(405, "Method Not Allowed")
        expected = container.get("authorization_token")
        if expected is not None and self.headers.get("Authorization") != str(expected):
            return self.json(401, {
                "code": "AccessDenied",
                "message": "Authorization header is missing or does not match the expected token",
            })
        access_key, secret_key, token, expiration = credentials_of(config)
        return self.json(200, {
            "AccessKeyId": access_key,
            "SecretAccessKey": secret_key,
            "Token": token,
            "Expiration": iso8601(expiration),
            "RoleArn": "arn:aws:iam::123456789012:role/fleetform-container",
        })

    # MARK: IAM Identity Center portal

    def sso(self, config):
        sso = section(config, "sso")
        if sso is None:
            return self.text(404, "Not Found")
        if self.command != "GET":
            return self.sso_error(404, "ResourceNotFoundException", "Not Found")
        role_name = (self.query.get("role_name") or [""])[-1]
        account_id = (self.query.get("account_id") or [""])[-1]
        if not role_name or not account_id:
            missing = [name for name, value in (("role_name", role_name), ("account_id", account_id)) if not value]
            return self.sso_error(400, "InvalidRequestException", f"Missing required parameter: {', '.join(missing)}")
        presented = self.headers.get("x-amz-sso_bearer_token")
        expected = sso.get("access_token")
        if not presented or expected is None or presented != str(expected):
            return self.sso_error(401, "UnauthorizedException", "Session token not found or invalid")
        if account_id != str(sso.get("account_id")) or role_name != str(sso.get("role_name")):
            # What the portal answers for a role or account the user is not assigned.
            return self.sso_error(403, "ForbiddenException", "No access")
        access_key, secret_key, token, expiration = credentials_of(config)
        return self.json(200, {"roleCredentials": {
            "accessKeyId": access_key,
            "secretAccessKey": secret_key,
            "sessionToken": token,
            "expiration": int(expiration.timestamp() * 1000),
        }}, extra=[("x-amzn-RequestId", str(uuid.uuid4()))])

    def sso_error(self, status, code, message):
        return self.json(status, {"message": message}, extra=[
            ("x-amzn-ErrorType", code), ("x-amzn-RequestId", str(uuid.uuid4()))])

    # MARK: Answers

    def text(self, status, body, extra=()):
        return self.reply(status, [("Content-Type", "text/plain"), *extra], body.encode())

    def json(self, status, value, content_type="application/json", extra=()):
        return self.reply(status, [("Content-Type", content_type), *extra], json.dumps(value).encode())

    def reply(self, status, headers, payload):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()
        return status


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, config_path):
        super().__init__(address, handler)
        self.config_path = config_path
        self._tokens = {}
        self._tokens_lock = threading.Lock()

    def remember_token(self, token, ttl):
        with self._tokens_lock:
            now = time.monotonic()
            self._tokens = {t: e for t, e in self._tokens.items() if e > now}
            self._tokens[token] = now + ttl

    def token_is_valid(self, token):
        if not token:
            return False
        with self._tokens_lock:
            expiry = self._tokens.get(token)
        return expiry is not None and expiry > time.monotonic()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="path of the JSON configuration file")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    server = Server(("127.0.0.1", args.port), Handler, args.config)
    sys.stdout.write(f"PORT {server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
