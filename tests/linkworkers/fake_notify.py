"""A small fake of the GOV.UK Notify API on loopback, for the tests (issue 17).

It answers the paths notifications-python-client calls (send a text, send an
email, read a notification), checks each request's JWT with the client
library's own decoder (issuer the service id, signed with the key's secret),
validates phone numbers, email addresses and template ids the way Notify
answers them (400 with its error shape), and can be told to be down (503) or
to report a delivery status.
"""

import json
import re
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer

from tests.outage import serve_in_background

SERVICE_ID = "3f2a8b7c-1d4e-4f6a-9b8c-7d6e5f4a3b2c"
SECRET = "9c8b7a6f-5e4d-4c3b-8a29-1f0e9d8c7b6a"
API_KEY = f"test_key-{SERVICE_ID}-{SECRET}"
MOBILE = re.compile(r"^(\+44\s?7|07)\d{3}\s?\d{6}$")


class FakeNotify:
    def __init__(self, templates: set[str]):
        self.templates = templates
        self.sent: list[dict] = []
        self.statuses: dict[str, str] = {}
        self.down = False
        self.bad_tokens = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, error: str, message: str) -> None:
                self._answer(
                    status,
                    {"status_code": status, "errors": [{"error": error, "message": message}]},
                )

            def _authorised(self) -> bool:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                try:
                    ok = get_token_issuer(token) == SERVICE_ID and decode_jwt_token(token, SECRET)
                except Exception:
                    ok = False
                if not ok:
                    fake.bad_tokens += 1
                    self._error(403, "AuthError", "Invalid token: signature, api token not found")
                return bool(ok)

            def do_POST(self):
                if fake.down:
                    return self._error(503, "ServiceUnavailable", "down for maintenance")
                if not self._authorised():
                    return None
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                kind = self.path.rsplit("/", 1)[-1]
                if body.get("template_id") not in fake.templates:
                    return self._error(400, "BadRequestError", "Template not found")
                if kind == "sms" and not MOBILE.match(body.get("phone_number", "")):
                    return self._error(
                        400, "ValidationError", "phone_number Not a UK mobile number"
                    )
                if kind == "email" and "@" not in body.get("email_address", ""):
                    return self._error(400, "ValidationError", "email_address Not a valid email")
                if kind not in ("sms", "email"):
                    return self._error(404, "NotFound", "not found")
                notification_id = str(uuid.uuid4())
                fake.sent.append({"id": notification_id, "kind": kind, **body})
                fake.statuses.setdefault(notification_id, "sending")
                return self._answer(
                    201,
                    {
                        "id": notification_id,
                        "reference": body.get("reference"),
                        "content": {"body": body.get("personalisation", {}).get("body", "")},
                        "template": {"id": body["template_id"], "version": 1, "uri": ""},
                        "uri": f"/v2/notifications/{notification_id}",
                    },
                )

            def do_GET(self):
                if fake.down:
                    return self._error(503, "ServiceUnavailable", "down for maintenance")
                if not self._authorised():
                    return None
                notification_id = self.path.rsplit("/", 1)[-1]
                if notification_id not in fake.statuses:
                    return self._error(404, "NoResultFound", "No result found")
                return self._answer(200, {"id": notification_id,
                                          "status": fake.statuses[notification_id]})  # fmt: skip

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        serve_in_background(self.server)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
