"""A local Twilio REST API: `POST /2010-04-01/Accounts/{sid}/Messages.json` records the message
and answers as https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
does (201 with the Message resource), for messages the bot sends outside a webhook's answer."""

from __future__ import annotations

import base64
import re
from typing import Any

from tests.fakes.local_json_server import LocalJsonServer, Request
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")


class FakeTwilioApi(LocalJsonServer):
    def route(self, request: Request) -> tuple[int, Any]:
        match = MESSAGES.match(request.path)
        if request.method != "POST" or match is None:
            return 404, {"code": 20404, "message": "The requested resource was not found"}
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if match["sid"] != ACCOUNT_SID or request.header("Authorization") != f"Basic {expected}":
            return 401, {"code": 20003, "message": "Authentication Error"}
        body = request.body
        if not body.get("To") or not body.get("From") or not body.get("Body"):
            return 400, {"code": 21604, "message": "A 'To', 'From' and 'Body' are required"}
        return 201, {
            "sid": f"SM{len(self.requests):032x}",
            "account_sid": ACCOUNT_SID,
            "to": body["To"],
            "from": body["From"],
            "body": body["Body"],
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
        }

    def sent(self) -> list[dict[str, Any]]:
        """The messages the bot sent, in order: {"To", "From", "Body"}."""
        return [r.body for r in self.recorded() if r.method == "POST" and MESSAGES.match(r.path)]
