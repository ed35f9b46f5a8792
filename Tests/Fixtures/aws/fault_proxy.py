#!/usr/bin/env python3
"""A small fault-injecting HTTP proxy for fleetform's AWS tests.

It listens on 127.0.0.1 (port 0 unless --port is given), prints one line
``PORT <n>`` on stdout once it accepts connections, and forwards every request
unchanged to the upstream (moto_server), except:

* STS ``AssumeRole`` (form body or query ``Action=AssumeRole``) whose
  ``RoleArn`` names an account listed in ``deny_assume_role`` is answered with
  an HTTP 403 ``AccessDenied`` STS error;
* ``throttle_percent`` percent of all requests are answered with a throttling
  error (HTTP 400 ``Throttling`` for query/XML services, HTTP 400
  ``TooManyRequestsException`` for Organizations and ``ThrottlingException``
  for other JSON services);
* with ``sticky_next_token``, every Organizations ``ListAccountsForParent``
  is forwarded without its ``NextToken`` and answered with the same
  ``NextToken`` added, as a broken server that repeats its token would;
* with ``ou_cycle``, every Organizations ``ListOrganizationalUnitsForParent``
  of an OU lists that OU again among its children (an OU as its own child).

The control file is JSON, for example::

    {"deny_assume_role": ["111111111111"], "throttle_percent": 0,
     "sticky_next_token": false, "ou_cycle": false}

It is read again on every request, so a test lifts a fault by rewriting it
(write it atomically: a half-written file counts as "no faults" and is logged).
A missing control file means no faults. Throttling draws from one random
generator seeded with ``--seed`` (default 1, whose first draw throttles at any
``throttle_percent`` above 14), so a test that needs at least one fault gets
it on every run instead of 99 runs in 100. Every injected fault is logged on
stderr as one line starting with ``INJECTED``, every forwarded request as one
line ``FORWARD <method> <operation>``.
"""

import argparse
import http.client
import http.server
import json
import random
import sys
import threading
import urllib.parse
import uuid

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailers", "transfer-encoding", "upgrade",
}

_log_lock = threading.Lock()


def log(message):
    with _log_lock:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def read_control(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return {}
    except OSError as error:
        log(f"CONTROL unreadable {path}: {error}")
        return {}
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        log(f"CONTROL invalid JSON in {path}: {error}")
        return {}
    return value if isinstance(value, dict) else {}


def account_of_arn(arn):
    # arn:partition:service:region:account:resource
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a kept-alive connection
    # waits for the client's delayed ACK (40 ms) before the body.
    disable_nagle_algorithm = True
    server_version = "fleetform-fault-proxy"

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass  # requests are logged by handle_any, in a fixed format

    # Every method goes through the same path.
    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # Trailers end with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_any(self):
        body = self.read_body()
        control = read_control(self.server.control_path)

        fault = self.fault_for(body, control)
        if fault is not None:
            status, content_type, payload, summary = fault
            log(f"INJECTED {summary}")
            self.reply(status, [("Content-Type", content_type)], payload)
            return

        log(f"FORWARD {self.command} {describe_request(self.headers, self.path, body)}")
        self.forward(body, control)

    def fault_for(self, body, control):
        params = {}
        query = urllib.parse.urlsplit(self.path).query
        for source in (query, body.decode("utf-8", "replace") if body else ""):
            for key, values in urllib.parse.parse_qs(source, keep_blank_values=True).items():
                params.setdefault(key, values[-1])

        request_id = str(uuid.uuid4())
        denied = {str(a) for a in control.get("deny_assume_role") or []}
        if params.get("Action") == "AssumeRole" and denied:
            role_arn = params.get("RoleArn", "")
            if account_of_arn(role_arn) in denied:
                message = (
                    "User: arn:aws:iam::123456789012:user/fleetform-test is not authorized "
                    f"to perform: sts:AssumeRole on resource: {role_arn} "
                    "(injected by fleetform's fault proxy)"
                )
                payload = (
                    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                    "<Error><Type>Sender</Type><Code>AccessDenied</Code>"
                    f"<Message>{xml_escape(message)}</Message></Error>"
                    f"<RequestId>{request_id}</RequestId></ErrorResponse>"
                ).encode()
                return 403, "text/xml", payload, f"AccessDenied AssumeRole {role_arn}"

        percent = control.get("throttle_percent") or 0
        try:
            percent = float(percent)
        except (TypeError, ValueError):
            percent = 0
        if percent > 0 and self.server.draw() < percent:
            target = self.headers.get("X-Amz-Target")
            if target:
                # Organizations throttles with TooManyRequestsException (HTTP 400).
                code = "TooManyRequestsException" if target.startswith("AWSOrganizations") else "ThrottlingException"
                payload = json.dumps({"__type": code, "message": "Rate exceeded"}).encode()
                return 400, "application/x-amz-json-1.1", payload, f"Throttling {target}"
            payload = (
                "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                "<Message>Rate exceeded (injected by fleetform's fault proxy)</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            ).encode()
            return 400, "text/xml", payload, f"Throttling {params.get('Action', self.path)}"
        return None

    def rewrite(self, body, control):
        """The request body to forward, and a function that rewrites the answer."""
        target = self.headers.get("X-Amz-Target") or ""
        if not target.startswith("AWSOrganizations"):
            return body, None
        operation = target.split(".")[-1]
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return body, None
        if control.get("sticky_next_token") and operation == "ListAccountsForParent":
            request.pop("NextToken", None)

            def sticky(answer):
                answer["NextToken"] = "fleetform-sticky-token"
                log(f"INJECTED StickyNextToken {operation} {request.get('ParentId')}")
                return answer
            return json.dumps(request).encode(), sticky
        parent = str(request.get("ParentId", ""))
        if control.get("ou_cycle") and operation == "ListOrganizationalUnitsForParent" and parent.startswith("ou-"):
            def cycle(answer):
                answer.setdefault("OrganizationalUnits", []).append(
                    {"Id": parent, "Arn": f"arn:aws:organizations::ou/{parent}", "Name": "itself"})
                log(f"INJECTED OUCycle {parent}")
                return answer
            return body, cycle
        return body, None

    def forward(self, body, control):
        body, rewrite = self.rewrite(body, control)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(self.server.upstream_host, self.server.upstream_port, timeout=120)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            if rewrite is not None and response.status == 200:
                payload = json.dumps(rewrite(json.loads(payload or b"{}"))).encode()
            reply_headers = [(k, v) for k, v in response.getheaders()
                             if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"]
            self.reply(response.status, reply_headers, payload)
        except OSError as error:
            log(f"UPSTREAM error for {self.command} {self.path}: {error}")
            self.reply(502, [("Content-Type", "text/plain")], f"upstream error: {error}".encode())
        finally:
            connection.close()

    def reply(self, status, headers, payload):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()


def describe_request(headers, path, body):
    """A short name of the AWS operation: the X-Amz-Target or the query Action."""
    target = headers.get("X-Amz-Target")
    if target:
        return target
    query = urllib.parse.urlsplit(path).query
    for source in (query, body.decode("utf-8", "replace") if body else ""):
        action = urllib.parse.parse_qs(source).get("Action")
        if action:
            return action[-1]
    return path


def xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def seed(self, seed):
        self._random = random.Random(seed)
        self._random_lock = threading.Lock()

    def draw(self):
        """The next number in [0, 100) of the seeded sequence, whichever thread asks."""
        with self._random_lock:
            return self._random.uniform(0, 100)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="http://HOST:PORT of moto_server")
    parser.add_argument("--control", required=True, help="path of the JSON control file")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1, help="seed of the throttling draws")
    args = parser.parse_args()

    upstream = urllib.parse.urlsplit(args.upstream)
    server = Server(("127.0.0.1", args.port), Handler)
    server.upstream_host = upstream.hostname or "127.0.0.1"
    server.upstream_port = upstream.port or 80
    server.control_path = args.control
    server.seed(args.seed)

    sys.stdout.write(f"PORT {server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
