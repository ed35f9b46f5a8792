#!/usr/bin/env python3
"""A local incoming-webhook receiver for fleetform's --notify tests.

It listens on 127.0.0.1 (port 0), prints ``PORT <n>`` on stdout once it accepts
connections, and answers every POST as a Slack or Teams incoming webhook does: 200
with the body ``ok`` when the body is a JSON object with a string ``text``, 400
``invalid_payload`` otherwise. Each request is appended to the --record file as one
JSON line: {"method", "path", "content_type", "status", "body"} (the body as text).

--fail-first N answers the first N requests with 503 (a receiver that is down for a
moment); --hang never answers at all (the connection stays open until the process
ends), for tests that the run is held at most by the notification timeout.
"""

import argparse
import http.server
import json
import sys
import threading
import time

_lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        sys.stderr.write("%s\n" % (format % args))
        sys.stderr.flush()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server = self.server
        with _lock:
            server.count += 1
            number = server.count
        if server.hang:
            self.record(body, None)
            while True:
                time.sleep(3600)
        if number <= server.fail_first:
            status, answer = 503, b"service unavailable"
        else:
            try:
                document = json.loads(body)
                valid = isinstance(document, dict) and isinstance(document.get("text"), str)
            except ValueError:
                valid = False
            status, answer = (200, b"ok") if valid else (400, b"invalid_payload")
        self.record(body, status)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        self.wfile.flush()

    def record(self, body, status):
        line = json.dumps({
            "method": self.command, "path": self.path,
            "content_type": self.headers.get("Content-Type"), "status": status,
            "body": body.decode("utf-8", "replace"),
        })
        with _lock:
            with open(self.server.record_path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", required=True, help="file to append one JSON line per request to")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--hang", action="store_true")
    args = parser.parse_args()

    server = Server(("127.0.0.1", 0), Handler)
    server.record_path = args.record
    server.fail_first = args.fail_first
    server.hang = args.hang
    server.count = 0
    open(args.record, "a").close()
    sys.stdout.write(f"PORT {server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
