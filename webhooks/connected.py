"""Telling a chat it is connected, when the customer came back through the OAuth callback page
rather than through the chat: the engine logs the conversation in (and carries on with what the
customer asked before connecting), and its replies go out on the chat's own channel, a Bot API
sendMessage on Telegram, Twilio's REST client on SMS and WhatsApp (from the number the customer
wrote to). A message that cannot be sent is logged: the chat is connected all the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.backends.protocol import Customer
from bot.channels.sms import render_text
from bot.channels.telegram import render_methods
from bot.config import Settings
from bot.conversation.engine import Engine
from bot.conversation.profile import profile_of
from bot.messages import Incoming, chat_hash
from webhooks.bot_api import BotApi

log = logging.getLogger(__name__)

TWILIO_TIMEOUT_SECONDS = 5.0


class TextSender:
    """Twilio's REST client, for a message that is not the answer to a webhook."""

    def __init__(self, settings: Settings) -> None:
        self.client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS),
        )
        if settings.twilio_api_url:
            self.client.api.base_url = settings.twilio_api_url

    def send(self, to: str, from_: str, body: str) -> bool:
        try:
            self.client.messages.create(to=to, from_=from_, body=body)
        except (TwilioException, OSError) as exc:
            log.warning("twilio: the message could not be sent: %s", type(exc).__name__)
            return False
        return True


@dataclass
class ChatConnector:
    """`webhooks.oauth.OnConnected` for the running app."""

    engine: Engine
    bot_api: BotApi | None
    texts: TextSender | None

    def __call__(
        self, conversation_key: str, customer: Customer, *, reply_from: str | None
    ) -> None:
        replies = self.engine.connect(conversation_key, customer)
        channel, _, chat = conversation_key.partition(":")
        if channel == "telegram":
            if self.bot_api is None:
                log.warning(
                    "conversation %s connected; no Bot API to tell it", chat_hash(conversation_key)
                )
                return
            incoming = Incoming(channel="telegram", conversation=chat)
            for method in render_methods(replies, incoming):
                self.bot_api.call(method, conversation_key)
        elif channel in ("sms", "whatsapp"):
            if self.texts is None or not reply_from:
                log.warning(
                    "conversation %s connected; no number to tell it from",
                    chat_hash(conversation_key),
                )
                return
            body = render_text(replies, profile_of(channel))
            to = f"+{chat}" if channel == "sms" else f"whatsapp:+{chat}"
            if body:
                self.texts.send(to, reply_from, body)
