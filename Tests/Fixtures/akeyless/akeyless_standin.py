#!/usr/bin/env python3
"""A local stand-in for the Akeyless API operations fleetform uses (python3 stdlib only).

It listens on 127.0.0.1 (port 0 unless --port is given) and prints one line
``PORT <n>`` on stdout once it accepts connections. Every Akeyless call is
``POST /<operation>`` with a JSON body whose field names are exactly those of the
official ``akeyless`` SDK 5.0.x models (``attribute_map``); answers are the SDK's
output models, errors are the API's ``JSONError`` ``{"error": "<message>"}``.

Implemented operations: auth, auth-method-get, auth-method-create-aws-iam,
auth-method-update-aws-iam, auth-method-delete, target-get-details,
target-create-aws, target-update-aws, target-delete.

Validation, as the API's JSON decoding does it: a body that is not a JSON
object, an unknown field or a field of the wrong type is HTTP 400; a field the
SDK marks required that is missing is HTTP 400; ``token`` is required on every
call but ``auth`` and must be one that ``auth`` issued and that has not expired
(HTTP 401 otherwise); a missing item is HTTP 404; creating an existing name is
HTTP 409.

Configuration (``--config PATH``, JSON, read again on every request; access keys
live only in this file, never on the command line)::

    {"access_keys": {"p-abc123": "KEY..."}, "aws_iam_access_ids": ["p-iam123"],
     "token_ttl_seconds": 3600, "fault_percent": 0, "fault_statuses": [429, 503],
     "seed": null, "create_status": 200, "token_prefix": "t-"}

``fault_percent`` percent of Akeyless calls are answered with one of
``fault_statuses`` before anything else happens (the call has no effect);
``seed`` makes the choice repeatable; ``create_status`` is the success status of
the create operations (200 or 201; the real API's is 200 as far as known);
``fault_operations`` (a list) limits the faults to those operations;
``token_prefix`` starts every token issued, so a test can look for tokens as markers.

Logging (stderr): one line ``REQUEST <operation> <status>`` per Akeyless call and
``INJECTED <operation> <status>`` per injected fault. Bodies, tokens and keys are
never logged.

Inspection and control for tests (not part of the Akeyless API):

* ``GET /__standin/state``: every target and auth method (secrets redacted);
* ``GET /__standin/calls``: request counts: total, reads, writes, auths,
  injected, and per operation requests/succeeded/injected/statuses;
* ``POST /__standin/calls/reset``: zero the counts;
* ``POST /__standin/delete`` ``{"kind": "target"|"auth_method", "name": ...}``:
  remove an item behind the client's back (404 when missing);
* ``POST /__standin/reset``: forget all items, tokens and counts.
"""

import argparse
import base64
import binascii
import datetime
import hmac
import http.server
import json
import random
import re
import secrets
import sys
import threading
import urllib.parse

# Field names, types and required-ness of each operation's request model, taken from
# the installed akeyless SDK 5.0.40 (attribute_map, openapi_types, and the
# client-side "must not be None" checks). name -> (type, required).
OPERATIONS = {
    # akeyless.models.auth.Auth
    'auth': {
        'access-id': ('str', False),
        'access-key': ('str', False),
        'access-type': ('str', False),
        'account-id': ('str', False),
        'admin-email': ('str', False),
        'admin-password': ('str', False),
        'azure-cloud': ('str', False),
        'cert-challenge': ('str', False),
        'cert-data': ('str', False),
        'cloud-id': ('str', False),
        'debug': ('bool', False),
        'disable-pafxfast': ('str', False),
        'gateway-spn': ('str', False),
        'gateway-url': ('str', False),
        'gcp-audience': ('str', False),
        'json': ('bool', False),
        'jwt': ('str', False),
        'k8s-auth-config-name': ('str', False),
        'k8s-service-account-token': ('str', False),
        'kerberos-token': ('str', False),
        'kerberos-username': ('str', False),
        'key-data': ('str', False),
        'keytab-data': ('str', False),
        'krb5-conf-data': ('str', False),
        'ldap-password': ('str', False),
        'oci-auth-type': ('str', False),
        'oci-group-ocid': ('list[str]', False),
        'otp': ('str', False),
        'signed-cert-challenge': ('str', False),
        'uid-token': ('str', False),
        'use-remote-browser': ('bool', False),
        'username': ('str', False),
    },
    # akeyless.models.auth_method_get.AuthMethodGet
    'auth-method-get': {
        'json': ('bool', False),
        'name': ('str', True),
        'token': ('str', False),
        'uid-token': ('str', False),
    },
    # akeyless.models.auth_method_create_aws_iam.AuthMethodCreateAwsIam
    'auth-method-create-aws-iam': {
        'access-expires': ('int', False),
        'allowed-client-type': ('list[str]', False),
        'audit-logs-claims': ('list[str]', False),
        'bound-arn': ('list[str]', False),
        'bound-aws-account-id': ('list[str]', True),
        'bound-ips': ('list[str]', False),
        'bound-resource-id': ('list[str]', False),
        'bound-role-id': ('list[str]', False),
        'bound-role-name': ('list[str]', False),
        'bound-user-id': ('list[str]', False),
        'bound-user-name': ('list[str]', False),
        'delete_protection': ('str', False),
        'description': ('str', False),
        'expiration-event-in': ('list[str]', False),
        'force-sub-claims': ('bool', False),
        'gw-bound-ips': ('list[str]', False),
        'json': ('bool', False),
        'jwt-ttl': ('int', False),
        'name': ('str', True),
        'product-type': ('list[str]', False),
        'sts-url': ('str', False),
        'token': ('str', False),
        'uid-token': ('str', False),
        'unique-identifier': ('str', False),
    },
    # akeyless.models.auth_method_update_aws_iam.AuthMethodUpdateAwsIam
    'auth-method-update-aws-iam': {
        'access-expires': ('int', False),
        'allowed-client-type': ('list[str]', False),
        'audit-logs-claims': ('list[str]', False),
        'bound-arn': ('list[str]', False),
        'bound-aws-account-id': ('list[str]', True),
        'bound-ips': ('list[str]', False),
        'bound-resource-id': ('list[str]', False),
        'bound-role-id': ('list[str]', False),
        'bound-role-name': ('list[str]', False),
        'bound-user-id': ('list[str]', False),
        'bound-user-name': ('list[str]', False),
        'delete_protection': ('str', False),
        'description': ('str', False),
        'expiration-event-in': ('list[str]', False),
        'force-sub-claims': ('bool', False),
        'gw-bound-ips': ('list[str]', False),
        'json': ('bool', False),
        'jwt-ttl': ('int', False),
        'name': ('str', True),
        'new-name': ('str', False),
        'product-type': ('list[str]', False),
        'sts-url': ('str', False),
        'token': ('str', False),
        'uid-token': ('str', False),
        'unique-identifier': ('str', False),
    },
    # akeyless.models.auth_method_delete.AuthMethodDelete
    'auth-method-delete': {
        'json': ('bool', False),
        'name': ('str', True),
        'token': ('str', False),
        'uid-token': ('str', False),
    },
    # akeyless.models.target_get_details.TargetGetDetails
    'target-get-details': {
        'json': ('bool', False),
        'name': ('str', True),
        'show-versions': ('bool', False),
        'target-version': ('int', False),
        'token': ('str', False),
        'uid-token': ('str', False),
    },
    # akeyless.models.target_create_aws.TargetCreateAws
    'target-create-aws': {
        'access-key': ('str', True),
        'access-key-id': ('str', True),
        'delete_protection': ('str', False),
        'description': ('str', False),
        'generate-external-id': ('bool', False),
        'json': ('bool', False),
        'key': ('str', False),
        'lock-on-read': ('str', False),
        'lock-ttl': ('str', False),
        'max-versions': ('str', False),
        'name': ('str', True),
        'region': ('str', False),
        'role-arn': ('str', False),
        'rotate-on-unlock': ('str', False),
        'session-token': ('str', False),
        'token': ('str', False),
        'uid-token': ('str', False),
        'use-gw-cloud-identity': ('bool', False),
    },
    # akeyless.models.target_update_aws.TargetUpdateAws
    'target-update-aws': {
        'access-key': ('str', True),
        'access-key-id': ('str', True),
        'delete_protection': ('str', False),
        'description': ('str', False),
        'generate-external-id': ('bool', False),
        'json': ('bool', False),
        'keep-prev-version': ('str', False),
        'key': ('str', False),
        'lock-on-read': ('str', False),
        'lock-ttl': ('str', False),
        'max-versions': ('str', False),
        'name': ('str', True),
        'new-name': ('str', False),
        'region': ('str', False),
        'role-arn': ('str', False),
        'rotate-on-unlock': ('str', False),
        'session-token': ('str', False),
        'token': ('str', False),
        'uid-token': ('str', False),
        'use-gw-cloud-identity': ('bool', False),
    },
    # akeyless.models.target_delete.TargetDelete
    'target-delete': {
        'force-deletion': ('bool', False),
        'json': ('bool', False),
        'name': ('str', True),
        'target-version': ('int', False),
        'token': ('str', False),
        'uid-token': ('str', False),
    },
}


WRITE_OPERATIONS = {
    "auth-method-create-aws-iam", "auth-method-update-aws-iam", "auth-method-delete",
    "target-create-aws", "target-update-aws", "target-delete",
}
READ_OPERATIONS = {"auth-method-get", "target-get-details"}

# Request fields that steer the call rather than describe the item.
CALL_FIELDS = {"token", "uid-token", "json", "name", "new-name", "keep-prev-version",
               "show-versions", "target-version", "force-deletion"}
# Target fields that hold secrets: kept, answered by target-get-details as the real
# API does, but never shown by /__standin/state.
SECRET_FIELDS = {"access-key", "session-token", "key"}

# The SDK's defaults (akeyless.models.*.__init__): it sends them unless the caller
# sets another value, so the real API sees them; the stand-in applies them when a
# non-SDK client leaves them out of a create.
TARGET_DEFAULTS = {"region": "us-east-2"}
AUTH_METHOD_DEFAULTS = {"sts-url": "https://sts.amazonaws.com", "access-expires": 0, "jwt-ttl": 0}

AWS_IAM_LIST_FIELDS = [
    ("bound-aws-account-id", "account_id"),
    ("bound-arn", "arn"),
    ("bound-resource-id", "resource_id"),
    ("bound-role-id", "role_id"),
    ("bound-role-name", "role_name"),
    ("bound-user-id", "user_id"),
    ("bound-user-name", "user_name"),
]

DEFAULT_CONFIG = {
    "access_keys": {}, "aws_iam_access_ids": [], "token_ttl_seconds": 3600,
    "fault_percent": 0, "fault_statuses": [429, 503], "seed": None, "create_status": 200, "token_prefix": "t-",
    "fault_operations": None,
}

AKEYLESS_ACCOUNT_ID = "acc-standin00001"

_log_lock = threading.Lock()


def log(message):
    with _log_lock:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def timestamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An Akeyless error answer: HTTP status and the JSONError message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def normalise_name(name):
    """Akeyless names are absolute paths: "fleetform/aws/1" is "/fleetform/aws/1"."""
    name = name.strip()
    if not name.startswith("/"):
        name = "/" + name
    return name


def go_type(kind):
    return {"str": "string", "bool": "bool", "int": "int64", "list[str]": "[]string"}[kind]


def json_type(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def type_matches(kind, value):
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return False


def validate_body(operation, body):
    """Unknown fields, wrong types and missing required fields, as the API refuses them.

    Returns the body without null fields (JSON null leaves a Go field unset)."""
    fields = OPERATIONS[operation]
    for key in body:
        if key not in fields:
            raise ApiError(400, f'json: unknown field "{key}"')
    cleaned = {key: value for key, value in body.items() if value is not None}
    for key, value in cleaned.items():
        kind = fields[key][0]
        if not type_matches(kind, value):
            raise ApiError(400, f"json: cannot unmarshal {json_type(value)} into Go struct field "
                                f"{key} of type {go_type(kind)}")
    for key, (kind, required) in fields.items():
        if not required:
            continue
        if key not in cleaned:
            raise ApiError(400, f"missing required parameter: {key}")
        if key == "name" and not cleaned[key].strip():
            raise ApiError(400, "missing required parameter: name")
    return cleaned


def decode_base64(text, what):
    if not isinstance(text, str):
        raise ApiError(401, f"invalid cloud-id: {what} is not a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ApiError(401, f"invalid cloud-id: {what} is not valid base64")


AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<akid>[A-Z0-9]{16,128})/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)"
    r"/sts/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$")


def validate_aws_cloud_id(cloud_id):
    """The AWS IAM cloud id: base64 of a JSON object whose sts_request_method is the
    method ("POST") and whose sts_request_url, sts_request_body and
    sts_request_headers are base64 of the URL, the body and a JSON object of header
    name -> list of values of a SigV4-signed, unsent sts:GetCallerIdentity request
    (akeyless-go-cloud-id cloudprovider/aws/cloud_id.go; the Go builder marshals the
    object before adding sts_request_body, so the body may be absent). Only the
    shape is checked: no AWS call, the signature itself cannot be verified here."""
    outer = decode_base64(cloud_id, "cloud-id")
    try:
        data = json.loads(outer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(401, "invalid cloud-id: not base64 of a JSON object")
    if not isinstance(data, dict):
        raise ApiError(401, "invalid cloud-id: not base64 of a JSON object")
    for key in ("sts_request_method", "sts_request_url", "sts_request_headers"):
        if not isinstance(data.get(key), str):
            raise ApiError(401, f"invalid cloud-id: {key} is missing")
    if data["sts_request_method"] != "POST":
        raise ApiError(401, "invalid cloud-id: sts_request_method must be POST")
    url = decode_base64(data["sts_request_url"], "sts_request_url").decode("utf-8", "replace")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not re.fullmatch(r"sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?", parts.hostname or ""):
        raise ApiError(401, "invalid cloud-id: sts_request_url is not an https STS endpoint")
    if "sts_request_body" in data:
        body = decode_base64(data["sts_request_body"], "sts_request_body").decode("utf-8", "replace")
        form = urllib.parse.parse_qs(body)
        if form.get("Action") != ["GetCallerIdentity"]:
            raise ApiError(401, "invalid cloud-id: the signed request is not sts:GetCallerIdentity")
    headers_json = decode_base64(data["sts_request_headers"], "sts_request_headers")
    try:
        headers = json.loads(headers_json.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(401, "invalid cloud-id: sts_request_headers is not JSON")
    if not isinstance(headers, dict) or not all(
            isinstance(values, list) and all(isinstance(v, str) for v in values) for values in headers.values()):
        raise ApiError(401, "invalid cloud-id: sts_request_headers must map each header to a list of strings")
    lowered = {name.lower(): values for name, values in headers.items()}
    authorization = (lowered.get("authorization") or [""])[0]
    match = AUTHORIZATION.match(authorization)
    if not match:
        raise ApiError(401, "invalid cloud-id: the STS request is not signed with AWS4-HMAC-SHA256 for sts")
    signed = match.group("signed").split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        raise ApiError(401, "invalid cloud-id: SignedHeaders must include host and x-amz-date")
    amz_date = (lowered.get("x-amz-date") or [""])[0]
    try:
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise ApiError(401, "invalid cloud-id: X-Amz-Date is missing or malformed")
    if amz_date[:8] != match.group("date"):
        raise ApiError(401, "invalid cloud-id: X-Amz-Date does not match the credential scope date")
    # STS refuses a request signed more than 15 minutes away from its clock.
    if abs((now() - signed_at).total_seconds()) > 15 * 60:
        raise ApiError(401, "invalid cloud-id: the signed STS request has expired")
    return match.group("akid")


class Store:
    """Items by name, tokens, call counts; one lock for all of it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.targets = {}
        self.auth_methods = {}
        self.tokens = {}
        self.next_id = 1000
        self.reset_calls()

    def reset_calls(self):
        self.calls = {}

    def new_id(self):
        self.next_id += 1
        return self.next_id

    def count(self, operation, status, injected):
        entry = self.calls.setdefault(operation, {"requests": 0, "succeeded": 0, "injected": 0, "statuses": {}})
        entry["requests"] += 1
        if 200 <= status < 300:
            entry["succeeded"] += 1
        if injected:
            entry["injected"] += 1
        entry["statuses"][str(status)] = entry["statuses"].get(str(status), 0) + 1

    def calls_json(self):
        def total(operations, key="requests"):
            return sum(entry[key] for op, entry in self.calls.items() if op in operations)
        return {
            "total": sum(entry["requests"] for entry in self.calls.values()),
            "reads": total(READ_OPERATIONS),
            "writes": total(WRITE_OPERATIONS),
            "succeeded_writes": total(WRITE_OPERATIONS, "succeeded"),
            "auths": total({"auth"}),
            "injected": sum(entry["injected"] for entry in self.calls.values()),
            "operations": self.calls,
        }

    def state_json(self):
        return {
            "targets": [target_state(t) for _, t in sorted(self.targets.items())],
            "auth_methods": [auth_method_state(m) for _, m in sorted(self.auth_methods.items())],
        }


def public_fields(fields):
    return {key: ("<redacted>" if key in SECRET_FIELDS and value else value) for key, value in fields.items()}


def target_state(target):
    fields = target["fields"]
    return {
        "name": target["name"],
        "target_id": target["id"],
        "target_type": "aws",
        "region": fields.get("region", ""),
        "use_gw_cloud_identity": bool(fields.get("use-gw-cloud-identity", False)),
        "description": fields.get("description", ""),
        "access_key_id": fields.get("access-key-id", ""),
        "version": target["version"],
        "fields": public_fields(fields),
    }


def auth_method_state(method):
    fields = method["fields"]
    state = {
        "name": method["name"],
        "access_id": method["access_id"],
        "auth_method_id": method["id"],
        "type": "aws_iam",
        "description": fields.get("description", ""),
        "fields": public_fields(fields),
    }
    for field, _ in AWS_IAM_LIST_FIELDS:
        state[field.replace("-", "_")] = list(fields.get(field, []))
    return state


def delete_protected(fields):
    return str(fields.get("delete_protection", "")).lower() == "true"


def check_delete_protection_value(fields):
    value = fields.get("delete_protection")
    if value is not None and value.lower() not in ("true", "false", ""):
        raise ApiError(400, f'delete_protection must be "true" or "false", not "{value}"')


class StandIn:
    def __init__(self, config_path):
        self.config_path = config_path
        self.store = Store()
        self.rng_lock = threading.Lock()
        self.rng = random.Random()
        self.rng_seed = None

    # Configuration -----------------------------------------------------------------

    def config(self):
        config = dict(DEFAULT_CONFIG)
        if self.config_path:
            try:
                with open(self.config_path, "r", encoding="utf-8") as handle:
                    loaded = json.load(handle)
                if isinstance(loaded, dict):
                    config.update(loaded)
                else:
                    log("CONFIG not a JSON object; using defaults")
            except FileNotFoundError:
                log("CONFIG missing; using defaults")
            except (OSError, ValueError) as error:
                log(f"CONFIG unreadable ({type(error).__name__}); using defaults")
        return config

    def fault(self, config, operation):
        only = config.get("fault_operations")
        if isinstance(only, list) and operation not in only:
            return None
        try:
            percent = float(config.get("fault_percent") or 0)
        except (TypeError, ValueError):
            percent = 0
        statuses = [s for s in (config.get("fault_statuses") or [429, 503]) if isinstance(s, int)] or [429, 503]
        with self.rng_lock:
            seed = config.get("seed")
            if seed is not None and seed != self.rng_seed:
                self.rng = random.Random(seed)
                self.rng_seed = seed
            if percent <= 0 or self.rng.random() * 100 >= percent:
                return None
            return self.rng.choice(statuses)

    # Dispatch ----------------------------------------------------------------------

    def call(self, operation, raw_body):
        """(status, answer) for one Akeyless call; counts it and logs it."""
        config = self.config()
        injected = self.fault(config, operation)
        if injected is not None:
            status, answer = injected, {"error": f"injected fault: HTTP {injected} "
                                                 f"{http.server.BaseHTTPRequestHandler.responses.get(injected, ('',))[0]}"}
            log(f"INJECTED {operation} {status}")
        else:
            try:
                status, answer = self.handle(operation, raw_body, config)
            except ApiError as error:
                status, answer = error.status, {"error": error.message}
            except Exception as error:  # a stand-in bug must answer, not drop the connection
                status, answer = 500, {"error": f"stand-in bug: {type(error).__name__}"}
                log(f"BUG {operation} {type(error).__name__}")
        with self.store.lock:
            self.store.count(operation, status, injected is not None)
        log(f"REQUEST {operation} {status}")
        return status, answer

    def handle(self, operation, raw_body, config):
        try:
            body = json.loads(raw_body.decode("utf-8")) if raw_body.strip() else None
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "invalid JSON body")
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object")
        body = validate_body(operation, body)
        if operation == "auth":
            return 200, self.auth(body, config)
        self.check_token(body)
        create_status = config.get("create_status") if config.get("create_status") in (200, 201) else 200
        with self.store.lock:
            if operation == "target-create-aws":
                return create_status, self.target_create(body)
            if operation == "target-update-aws":
                return 200, self.target_update(body)
            if operation == "target-get-details":
                return 200, self.target_get_details(body)
            if operation == "target-delete":
                return 200, self.target_delete(body)
            if operation == "auth-method-create-aws-iam":
                return create_status, self.auth_method_create(body)
            if operation == "auth-method-update-aws-iam":
                return 200, self.auth_method_update(body)
            if operation == "auth-method-get":
                return 200, self.auth_method_get(body)
            if operation == "auth-method-delete":
                return 200, self.auth_method_delete(body)
        raise ApiError(404, f"unknown operation {operation}")

    # Authentication ----------------------------------------------------------------

    def auth(self, body, config):
        access_type = body.get("access-type", "access_key")
        access_id = body.get("access-id", "")
        if not access_id:
            raise ApiError(400, "missing required parameter: access-id")
        if access_type == "access_key":
            if not body.get("access-key"):
                raise ApiError(400, "missing required parameter: access-key")
            keys = config.get("access_keys") or {}
            expected = keys.get(access_id) if isinstance(keys, dict) else None
            if not isinstance(expected, str) or not hmac.compare_digest(
                    expected.encode("utf-8"), body["access-key"].encode("utf-8")):
                raise ApiError(401, "Authentication failed: wrong access id or access key")
        elif access_type == "aws_iam":
            if not body.get("cloud-id"):
                raise ApiError(400, "missing required parameter: cloud-id")
            known = set(config.get("aws_iam_access_ids") or [])
            with self.store.lock:
                known.update(m["access_id"] for m in self.store.auth_methods.values())
            if access_id not in known:
                raise ApiError(401, "Authentication failed: no AWS IAM auth method has this access id")
            validate_aws_cloud_id(body["cloud-id"])
        else:
            raise ApiError(400, f"access-type {access_type} is not implemented by the stand-in "
                                "(access_key and aws_iam are)")
        try:
            ttl = float(config.get("token_ttl_seconds", 3600))
        except (TypeError, ValueError):
            ttl = 3600.0
        prefix = config.get("token_prefix")
        token = (prefix if isinstance(prefix, str) and prefix else "t-") + secrets.token_hex(16)
        expires = now() + datetime.timedelta(seconds=ttl)
        with self.store.lock:
            self.store.tokens[token] = {"expires": expires, "access_id": access_id}
        return {"token": token, "expiration": timestamp(expires)}

    def check_token(self, body):
        token = body.get("token")
        if not token:
            if body.get("uid-token"):
                raise ApiError(401, "uid-token is not implemented by the stand-in: authenticate with auth and send token")
            raise ApiError(401, "Unauthorized: token is required (get one with auth)")
        with self.store.lock:
            issued = self.store.tokens.get(token)
        if issued is None:
            raise ApiError(401, "Unauthorized: invalid token")
        if now() >= issued["expires"]:
            raise ApiError(401, "Unauthorized: the token expired, authenticate again")

    # Targets -----------------------------------------------------------------------

    def target(self, name):
        target = self.store.targets.get(normalise_name(name))
        if target is None:
            raise ApiError(404, f"Target {normalise_name(name)} not found")
        return target

    def target_create(self, body):
        name = normalise_name(body["name"])
        if name in self.store.targets:
            raise ApiError(409, f"Target {name} already exists")
        fields = {key: value for key, value in body.items() if key not in CALL_FIELDS}
        check_delete_protection_value(fields)
        for key, value in TARGET_DEFAULTS.items():
            fields.setdefault(key, value)
        moment = now()
        target = {"name": name, "id": self.store.new_id(), "fields": fields, "version": 1,
                  "created": moment, "modified": moment}
        self.store.targets[name] = target
        return {"target_id": target["id"]}

    def target_update(self, body):
        target = self.target(body["name"])
        changes = {key: value for key, value in body.items() if key not in CALL_FIELDS}
        check_delete_protection_value(changes)
        new_name = body.get("new-name")
        if new_name:
            new_name = normalise_name(new_name)
            if new_name != target["name"] and new_name in self.store.targets:
                raise ApiError(409, f"Target {new_name} already exists")
        target["fields"].update(changes)
        target["version"] += 1
        target["modified"] = now()
        if new_name and new_name != target["name"]:
            del self.store.targets[target["name"]]
            target["name"] = new_name
            self.store.targets[new_name] = target
        return {"target_id": target["id"]}

    def target_get_details(self, body):
        target = self.target(body["name"])
        fields = target["fields"]
        return {
            "target": {
                "target_name": target["name"],
                "target_id": target["id"],
                "target_type": "aws",
                "comment": fields.get("description", ""),
                "delete_protection": delete_protected(fields),
                "creation_date": timestamp(target["created"]),
                "modification_date": timestamp(target["modified"]),
                "last_version": target["version"],
                "with_customer_fragment": False,
            },
            "value": {
                "aws_target_details": {
                    "aws_access_key_id": fields.get("access-key-id", ""),
                    "aws_secret_access_key": fields.get("access-key", ""),
                    "aws_session_token": fields.get("session-token", ""),
                    "aws_region": fields.get("region", ""),
                    "use_gw_cloud_identity": bool(fields.get("use-gw-cloud-identity", False)),
                },
            },
        }

    def target_delete(self, body):
        target = self.target(body["name"])
        if delete_protected(target["fields"]):
            raise ApiError(400, f"Target {target['name']} is protected from deletion (delete_protection)")
        del self.store.targets[target["name"]]
        return {}

    # Auth methods ------------------------------------------------------------------

    def auth_method(self, name):
        method = self.store.auth_methods.get(normalise_name(name))
        if method is None:
            raise ApiError(404, f"Auth method {normalise_name(name)} not found")
        return method

    @staticmethod
    def check_bound_accounts(fields):
        accounts = fields.get("bound-aws-account-id")
        if accounts is None:
            return
        if not accounts:
            raise ApiError(400, "bound-aws-account-id must hold at least one AWS account id")
        for account in accounts:
            if not re.fullmatch(r"\d{12}", account):
                raise ApiError(400, f"bound-aws-account-id: {account!r} is not a 12-digit AWS account id")

    def auth_method_create(self, body):
        name = normalise_name(body["name"])
        if name in self.store.auth_methods:
            raise ApiError(409, f"Auth method {name} already exists")
        fields = {key: value for key, value in body.items() if key not in CALL_FIELDS}
        check_delete_protection_value(fields)
        self.check_bound_accounts(fields)
        for key, value in AUTH_METHOD_DEFAULTS.items():
            fields.setdefault(key, value)
        moment = now()
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        while True:
            access_id = "p-" + "".join(secrets.choice(alphabet) for _ in range(12))
            if all(m["access_id"] != access_id for m in self.store.auth_methods.values()):
                break
        method = {"name": name, "id": self.store.new_id(), "access_id": access_id, "fields": fields,
                  "created": moment, "modified": moment}
        self.store.auth_methods[name] = method
        return {"access_id": access_id, "name": name}

    def auth_method_update(self, body):
        method = self.auth_method(body["name"])
        changes = {key: value for key, value in body.items() if key not in CALL_FIELDS}
        check_delete_protection_value(changes)
        self.check_bound_accounts(changes)
        new_name = body.get("new-name")
        if new_name:
            new_name = normalise_name(new_name)
            if new_name != method["name"] and new_name in self.store.auth_methods:
                raise ApiError(409, f"Auth method {new_name} already exists")
        method["fields"].update(changes)
        method["modified"] = now()
        if new_name and new_name != method["name"]:
            del self.store.auth_methods[method["name"]]
            method["name"] = new_name
            self.store.auth_methods[new_name] = method
        return {"name": method["name"]}

    def auth_method_get(self, body):
        method = self.auth_method(body["name"])
        fields = method["fields"]
        rules = {rule: list(fields.get(field, [])) for field, rule in AWS_IAM_LIST_FIELDS}
        rules["sts_endpoint"] = fields.get("sts-url", "")
        rules["unique_identifier"] = fields.get("unique-identifier", "")
        return {
            "auth_method_name": method["name"],
            "auth_method_access_id": method["access_id"],
            "auth_method_id": method["id"],
            "account_id": AKEYLESS_ACCOUNT_ID,
            "description": fields.get("description", ""),
            "delete_protection": delete_protected(fields),
            "creation_date": timestamp(method["created"]),
            "modification_date": timestamp(method["modified"]),
            "is_approved": True,
            "access_info": {
                "rules_type": "aws_iam",
                "access_expires": fields.get("access-expires", 0),
                "jwt_ttl": fields.get("jwt-ttl", 0),
                "force_sub_claims": bool(fields.get("force-sub-claims", False)),
                "cidr_whitelist": ",".join(fields.get("bound-ips", [])),
                "gw_cidr_whitelist": ",".join(fields.get("gw-bound-ips", [])),
                "product_types": list(fields.get("product-type", [])),
                "audit_logs_claims": list(fields.get("audit-logs-claims", [])),
                "allowed_client_type": list(fields.get("allowed-client-type", [])),
                "aws_iam_access_rules": rules,
            },
        }

    def auth_method_delete(self, body):
        method = self.auth_method(body["name"])
        if delete_protected(method["fields"]):
            raise ApiError(400, f"Auth method {method['name']} is protected from deletion (delete_protection)")
        del self.store.auth_methods[method["name"]]
        return {"name": method["name"]}

    # Control -----------------------------------------------------------------------

    def control(self, method, path, raw_body):
        if method == "GET" and path == "/__standin/state":
            with self.store.lock:
                return 200, self.store.state_json()
        if method == "GET" and path == "/__standin/calls":
            with self.store.lock:
                return 200, json.loads(json.dumps(self.store.calls_json()))
        if method == "POST" and path == "/__standin/calls/reset":
            with self.store.lock:
                self.store.reset_calls()
            return 200, {}
        if method == "POST" and path == "/__standin/reset":
            with self.store.lock:
                self.store.reset()
            return 200, {}
        if method == "POST" and path == "/__standin/delete":
            try:
                body = json.loads(raw_body.decode("utf-8"))
                kind, name = body["kind"], normalise_name(body["name"])
            except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
                return 400, {"error": 'expected {"kind": "target"|"auth_method", "name": "..."}'}
            collection = {"target": self.store.targets, "auth_method": self.store.auth_methods}.get(kind)
            if collection is None:
                return 400, {"error": f"unknown kind {kind}"}
            with self.store.lock:
                if name not in collection:
                    return 404, {"error": f"{kind} {name} not found"}
                del collection[name]
            return 200, {}
        return 404, {"error": f"unknown control endpoint {method} {path}"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a kept-alive connection
    # waits for the client's delayed ACK (40 ms) before the body: a real API does not.
    disable_nagle_algorithm = True
    server_version = "akeyless-standin"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # one REQUEST line per call instead; never the request line or body

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def answer(self, status, payload):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        self.read_body()
        if path.startswith("/__standin/"):
            self.answer(*self.server.standin.control("GET", path, b""))
        else:
            self.answer(405, {"error": "the Akeyless API takes POST"})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        raw_body = self.read_body()
        if path.startswith("/__standin/"):
            self.answer(*self.server.standin.control("POST", path, raw_body))
            return
        operation = path.strip("/")
        if operation not in OPERATIONS:
            log(f"REQUEST {operation or '/'} 404")
            self.answer(404, {"error": f"unknown operation {operation}: the stand-in implements "
                                       + ", ".join(sorted(OPERATIONS))})
            return
        self.answer(*self.server.standin.call(operation, raw_body))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="path of the JSON configuration, read on every request")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    server = Server(("127.0.0.1", args.port), Handler)
    server.standin = StandIn(args.config)
    sys.stdout.write(f"PORT {server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
