"""A local stand-in for GOV.UK Notify's API (POST /v2/notifications/sms) for the tests.

The bearer token is checked by Notify's own client package (notifications_python_client):
the issuer must be the service id and decode_jwt_token must accept the token with the key's
secret. Every request is written to OUT_DIR as NNNNNN.json: the request body, the token's
issuer and the status answered. Prints "READY <port>" once it listens. Options:
  --port N                listen on N (default 0: a free port)
  --service-id ID         expected `iss`
  --secret SECRET         the API key's secret
  --template-id ID        the one template that exists
  --answers 429,500,...   answer these statuses to the first requests, then 201
  --invalid-number NUM    answer 400 to texts for this number
POST /_control/answers with a JSON list of statuses appends to the answers to give.
"""
import argparse
import json
import os
import socket
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

MESSAGES = {
    400: ("BadRequestError", "Can't send to this recipient using a team-only API key"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: ("RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"),
    500: ("Exception", "Internal server error"),
    503: ("Exception", "Service unavailable"),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--service-id", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--template-id", required=True)
    parser.add_argument("--answers", default="")
    parser.add_argument("--invalid-number", default="")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    lock = threading.Lock()
    state = {"count": 0, "answers": [int(a) for a in args.answers.split(",") if a]}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            # Like a real web server: no Nagle delay between the headers and the body.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, error=None, message=None):
            e, m = MESSAGES.get(status, ("Error", "error"))
            self.reply(status, {"status_code": status,
                                "errors": [{"error": error or e, "message": message or m}]})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if self.path == "/_control/answers":
                with lock:
                    state["answers"].extend(json.loads(raw))
                return self.reply(200, {"ok": True})
            if self.path != "/v2/notifications/sms":
                return self.error(404, "NotFound", "not found")
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            status, error, message, issuer = self.check(body)
            with lock:
                if status == 201 and state["answers"]:
                    status = state["answers"].pop(0)
                    error = message = None
                state["count"] += 1
                n = state["count"]
            record = {"n": n, "answered": status, "iss": issuer, "body": body,
                      "content_type": self.headers.get("Content-Type", "")}
            path = os.path.join(args.out_dir, "%06d.json" % n)
            with open(path + ".partial", "w") as f:
                json.dump(record, f)
            os.rename(path + ".partial", path)
            if status != 201:
                return self.error(status, error, message)
            notification_id = str(uuid.uuid4())
            self.reply(201, {
                "id": notification_id,
                "reference": body.get("reference"),
                "content": {"body": body["personalisation"]["body"], "from_number": "EHC Hub"},
                "uri": "http://localhost/v2/notifications/" + notification_id,
                "template": {"id": args.template_id, "version": 1,
                             "uri": "http://localhost/v2/template/" + args.template_id},
            })

        def check(self, body):
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer "):
                return 401, "AuthError", "Unauthorized: authentication token must be provided", None
            token = auth[len("Bearer "):]
            try:
                issuer = get_token_issuer(token)
            except TokenError:
                return 403, "AuthError", "Invalid token: signature, api token not found", None
            if issuer != args.service_id:
                return 403, "AuthError", "Invalid token: service not found", issuer
            try:
                decode_jwt_token(token, args.secret)
            except TokenError as e:
                return 403, "AuthError", "Invalid token: %s" % type(e).__name__, issuer
            if not isinstance(body, dict):
                return 400, "BadRequestError", "Invalid JSON supplied in POST data", issuer
            for field in ("phone_number", "template_id"):
                if field not in body:
                    return 400, "ValidationError", "%s is a required property" % field, issuer
            if body["template_id"] != args.template_id:
                return 400, "BadRequestError", "Template not found", issuer
            if "body" not in (body.get("personalisation") or {}):
                return 400, "BadRequestError", "Missing personalisation: body", issuer
            if args.invalid_number and body["phone_number"] == args.invalid_number:
                return 400, "ValidationError", "phone_number Not a UK mobile number", issuer
            return 201, None, None, issuer

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("READY %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
