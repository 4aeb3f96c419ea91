#!/usr/bin/env python3
"""A stand-in for the RSSI's collector, for the agent's tests and benchmarks (push protocol, issue 11).

Mutual TLS (the client certificate must chain to --ca), `POST /v1/reports` with a multipart/form-data body of
exactly two parts (`report`, `signature`), checked as the protocol says: part names, filenames, content types,
X-Cyberctl-Report-SHA256 against the report bytes. It does NOT verify the CMS signature (the real collector,
`cyberctl collect`, does): it answers what the test asks for, through --mode or a mode file read on each request:

  accept        201 accepted (stored under INBOX/<sha256>/), 200 duplicate for bytes already stored
  slow          as accept, after a quarter of a second (so that concurrent clients overlap)
  refuse        422 refused, code --code (default identity-mismatch)
  forbidden     403 forbidden
  malformed     400 malformed
  rate-limit    429 with Retry-After: --retry-after
  unavailable   503 with Retry-After: --retry-after
  error         500, no JSON body
  hang          reads the request, writes --hang-marker, never answers
  huge          201 accepted with a 4 MiB body (a broken or hostile collector)

Every request is logged as one JSON line in --log (mode, status, sha256, file, client subject, user agent).
The chosen port is written to --port-file once listening.
"""
import argparse
import hashlib
import http.server
import json
import os
import socket
import socketserver
import ssl
import sys
import threading
import time

BODY_LIMIT = 16 * 1024 * 1024


def parse_multipart(body, boundary):
    """Returns [(headers dict lower-case, content bytes)] or raises ValueError."""
    delimiter = b"--" + boundary
    if not body.startswith(delimiter):
        raise ValueError("body does not start with the boundary")
    parts = []
    position = len(delimiter)
    while True:
        if body[position:position + 2] == b"--":
            return parts
        if body[position:position + 2] != b"\r\n":
            raise ValueError("bad delimiter line")
        position += 2
        end_headers = body.find(b"\r\n\r\n", position)
        if end_headers < 0:
            raise ValueError("part without headers end")
        headers = {}
        for line in body[position:end_headers].split(b"\r\n"):
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode()] = value.strip().decode()
        content_start = end_headers + 4
        next_delimiter = body.find(b"\r\n" + delimiter, content_start)
        if next_delimiter < 0:
            raise ValueError("unterminated part")
        parts.append((headers, body[content_start:next_delimiter]))
        position = next_delimiter + 2 + len(delimiter)


def disposition_params(value):
    params = {}
    for item in value.split(";")[1:]:
        key, _, val = item.strip().partition("=")
        params[key.lower()] = val.strip('"')
    return params


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, extra=None):
        data = json.dumps(body).encode() if body is not None else b"internal error"
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if body is not None else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def record(self, **fields):
        server = self.server
        cert = self.connection.getpeercert() or {}
        subject = ", ".join("%s=%s" % pair for rdn in cert.get("subject", ()) for pair in rdn)
        fields.update(client=subject, user_agent=self.headers.get("User-Agent"), time=time.time())
        with server.log_lock:
            with open(server.options.log, "a") as log:
                log.write(json.dumps(fields) + "\n")

    def mode(self):
        options = self.server.options
        if options.mode_file and os.path.exists(options.mode_file):
            with open(options.mode_file) as handle:
                text = handle.read().strip()
                if text:
                    return text
        return options.mode

    def do_POST(self):
        options = self.server.options
        mode = self.mode()
        if self.path != "/v1/reports":
            self.record(mode=mode, status=404, path=self.path)
            return self.answer(404, {"status": "not-found", "message": "chemin inconnu", "message_en": "unknown path"})
        length = int(self.headers.get("Content-Length", "0"))
        if length > BODY_LIMIT:
            self.record(mode=mode, status=413)
            self.close_connection = True
            return self.answer(413, {"status": "too-large", "message": "trop gros", "message_en": "too large"})
        body = self.rfile.read(length)
        if mode == "hang":
            with open(options.hang_marker, "w") as marker:
                marker.write("received %d bytes\n" % len(body))
            self.record(mode=mode, status=None, bytes=len(body))
            time.sleep(3600)
            return
        problem, report, signature, file_name = self.check(body)
        sha = hashlib.sha256(report).hexdigest() if report is not None else None
        if problem:
            self.record(mode=mode, status=400, problem=problem, sha256=sha)
            return self.answer(400, {"status": "malformed", "code": "malformed", "message": "requête mal formée : " + problem, "message_en": "malformed request: " + problem})
        retry = {"Retry-After": str(options.retry_after)}
        if mode == "slow":
            time.sleep(0.25)
            mode = "accept"
        if mode == "accept":
            folder = os.path.join(options.inbox, sha)
            with self.server.store_lock:
                if os.path.exists(folder):
                    status = 200
                else:
                    os.makedirs(folder + ".tmp", exist_ok=True)
                    with open(os.path.join(folder + ".tmp", file_name), "wb") as out:
                        out.write(report)
                    with open(os.path.join(folder + ".tmp", file_name + ".p7s"), "wb") as out:
                        out.write(signature)
                    os.rename(folder + ".tmp", folder)
                    status = 201
            self.record(mode=mode, status=status, sha256=sha, file=file_name)
            word = "accepted" if status == 201 else "duplicate"
            return self.answer(status, {"status": word, "sha256": sha, "message": "rapport reçu", "message_en": "report received"})
        table = {
            "refuse": (422, "refused", options.code, {}),
            "forbidden": (403, "forbidden", "certificate-revoked", {}),
            "malformed": (400, "malformed", "malformed", {}),
            "rate-limit": (429, "rate-limited", None, retry),
            "unavailable": (503, "unavailable", None, retry),
        }
        if mode == "huge":
            self.record(mode=mode, status=201, sha256=sha, file=file_name)
            return self.answer(201, {"status": "accepted", "sha256": sha, "padding": "x" * (4 << 20)})
        if mode == "error":
            self.record(mode=mode, status=500, sha256=sha, file=file_name)
            return self.answer(500, None)
        status, word, code, extra = table[mode]
        self.record(mode=mode, status=status, sha256=sha, file=file_name)
        body = {"status": word, "sha256": sha, "message": "refus du collecteur (" + word + ")", "message_en": "collector says " + word}
        if code:
            body["code"] = code
        return self.answer(status, body, extra)

    def check(self, body):
        """(problem, report, signature, file name) as the protocol defines a well-formed upload."""
        content_type = self.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            return "not multipart/form-data", None, None, None
        boundary = None
        for item in content_type.split(";")[1:]:
            key, _, value = item.strip().partition("=")
            if key.lower() == "boundary":
                boundary = value.strip('"').encode()
        if not boundary:
            return "no boundary", None, None, None
        try:
            parts = parse_multipart(body, boundary)
        except ValueError as error:
            return str(error), None, None, None
        named = {}
        for headers, content in parts:
            params = disposition_params(headers.get("content-disposition", ""))
            named.setdefault(params.get("name"), []).append((headers, params, content))
        if sorted(named) != ["report", "signature"] or any(len(v) != 1 for v in named.values()):
            return "expected exactly the parts report and signature, got %s" % sorted(k or "?" for k in named), None, None, None
        (report_headers, report_params, report), = named["report"]
        (signature_headers, signature_params, signature), = named["signature"]
        file_name = report_params.get("filename")
        if not file_name or "/" in file_name:
            return "report part without a plain filename", report, None, None
        if signature_params.get("filename") != file_name + ".p7s":
            return "signature filename is not <report>.p7s", report, None, None
        if report_headers.get("content-type") != "application/json":
            return "report content type is not application/json", report, None, None
        if signature_headers.get("content-type") != "application/pkcs7-signature":
            return "signature content type is not application/pkcs7-signature", report, None, None
        declared = self.headers.get("X-Cyberctl-Report-SHA256", "")
        if declared != hashlib.sha256(report).hexdigest():
            return "X-Cyberctl-Report-SHA256 does not match the report", report, None, None
        return None, report, signature, file_name


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        sock, address = self.socket.accept()
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle and the client's delayed ACK
        # would add ~40 ms to every answer.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request, client_address):
        pass  # failed handshakes (wrong CA, no certificate) are expected in tests


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--inbox", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--mode", default="accept")
    parser.add_argument("--mode-file")
    parser.add_argument("--code", default="identity-mismatch")
    parser.add_argument("--retry-after", type=int, default=120)
    parser.add_argument("--hang-marker")
    options = parser.parse_args()
    os.makedirs(options.inbox, exist_ok=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(options.cert, options.key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(options.ca)
    server = Server((options.host, options.port), Handler)
    server.context = context
    server.options = options
    server.log_lock = threading.Lock()
    server.store_lock = threading.Lock()
    open(options.log, "a").close()
    temporary = options.port_file + ".tmp"
    with open(temporary, "w") as handle:
        handle.write(str(server.server_address[1]))
    os.rename(temporary, options.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
