"""Simulated customers: one chat each, running read-only journeys against the webhooks.

The full journey is login → list → one page or booking → menu → logout, so it leaves the chat
logged out and can run again and again; a wrong answer aborts it, and the chat logs out before
the next one. The hot journey is the logged-in loop list → menu, run by chats that logged in
before the timed part (the `login` journey); after a wrong answer the chat logs out and in again.

Against the bot each answer's words and buttons are checked; against the floor (which only
answers in the platform's format) the format and the chat it is addressed to.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

import httpx
from twilio.request_validator import RequestValidator

from benchmarks.seed import Login
from benchmarks.stats import SegmentTally

TELEGRAM_PATH = "/telegram/webhook"
SMS_PATH = "/twilio/sms"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SIGNATURE_HEADER = "X-Twilio-Signature"
OUR_NUMBER = "+447700900001"
JOURNEYS = ("full", "hot")
"""What a measured run repeats; `login` is the untimed start of a hot run."""
PLACEHOLDER_BOOKING = "B1"
"""What a chat presses when the server shows no booking buttons (the floor)."""


class WrongReply(Exception):
    """The app answered, but not what this step expects; `kind` names it in the report."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass
class ChatLog:
    """What one chat measured; one per thread, merged at the end (no locks while running)."""

    messages: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    by_step_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    journeys: int = 0
    aborted: int = 0
    sms: SegmentTally = field(default_factory=SegmentTally)


@dataclass(frozen=True)
class Target:
    base_url: str
    public_url: str
    telegram_secret: str
    twilio_account_sid: str
    twilio_auth_token: str
    bot_replies: bool = True
    """False for the floor: its answers are checked for format, not for the bot's words."""


def timed_post(
    http: httpx.Client, log: ChatLog, step: str, url: str, **kwargs: Any
) -> httpx.Response:
    log.messages += 1
    started = time.perf_counter()
    try:
        response = http.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise WrongReply(f"{step}: {type(exc).__name__}") from exc
    elapsed_ms = (time.perf_counter() - started) * 1000
    log.latencies_ms.append(elapsed_ms)
    log.by_step_ms.setdefault(step, []).append(elapsed_ms)
    if response.status_code != 200:
        raise WrongReply(f"{step}: HTTP {response.status_code}")
    return response


def expect(condition: bool, kind: str) -> None:
    if not condition:
        raise WrongReply(kind)


class TelegramChat:
    """A private chat: real update JSON, update_id increasing across the whole bot."""

    channel = "telegram"

    def __init__(
        self,
        http: httpx.Client,
        target: Target,
        chat_id: int,
        login: Login,
        update_ids: Iterator[int],
    ) -> None:
        self.http = http
        self.target = target
        self.chat_id = chat_id
        self.login = login
        self.update_ids = update_ids
        self.message_ids = itertools.count(1)
        self.log = ChatLog()
        self.journey_number = 0

    def _user(self) -> dict[str, Any]:
        return {"id": self.chat_id, "is_bot": False, "first_name": "Bench", "language_code": "en"}

    def _chat(self) -> dict[str, Any]:
        return {"id": self.chat_id, "type": "private", "first_name": "Bench"}

    def text_update(self, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self.message_ids),
            "from": self._user(),
            "chat": self._chat(),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self.update_ids), "message": message}

    def press_update(self, data: str, on_message_id: int) -> dict[str, Any]:
        return {
            "update_id": next(self.update_ids),
            "callback_query": {
                "id": f"{self.chat_id}{next(self.message_ids):08d}",
                "from": self._user(),
                "chat_instance": str(-self.chat_id),
                "data": data,
                "message": {
                    "message_id": on_message_id,
                    "from": {"id": 7000000001, "is_bot": True, "first_name": "Demo"},
                    "chat": self._chat(),
                    "date": int(time.time()),
                    "text": "...",
                },
            },
        }

    def send(self, step: str, update: dict[str, Any]) -> dict[str, Any]:
        response = timed_post(
            self.http,
            self.log,
            step,
            self.target.base_url + TELEGRAM_PATH,
            json=update,
            headers={SECRET_HEADER: self.target.telegram_secret},
        )
        try:
            method = response.json()
        except ValueError:
            raise WrongReply(f"{step}: not JSON") from None
        expect(
            isinstance(method, dict) and method.get("method") == "sendMessage", f"{step}: method"
        )
        expect(method.get("chat_id") == self.chat_id, f"{step}: chat_id")
        return method

    def check(self, condition: bool, kind: str) -> None:
        if self.target.bot_replies:
            expect(condition, kind)

    def say(self, step: str, text: str, *markers: str) -> dict[str, Any]:
        method = self.send(step, self.text_update(text))
        self.check(contains(method.get("text", ""), markers), f"{step}: text")
        return method

    def log_in(self) -> None:
        self.say("start", "/start", "phone number")
        self.say("phone", f"+{self.login.phone}", "PIN")
        self.say("pin", self.login.pin, "logged in")

    def journey(self) -> None:
        self.journey_number += 1
        self.log_in()
        listing = self.say("list", "/bookings", "bookings")
        bookings = [b for b in buttons(listing) if b["callback_data"] not in ("MORE", "MENU")]
        self.check(bool(bookings), "list: no booking buttons")
        chosen = (
            bookings[self.journey_number % len(bookings)]["callback_data"]
            if bookings
            else PLACEHOLDER_BOOKING
        )
        details = self.send("detail", self.press_update(chosen, on_message_id=1))
        self.check(contains(details.get("text", ""), ["Booking #"]), "detail: text")
        self.check(any(b["callback_data"] == "MENU" for b in buttons(details)), "detail: buttons")
        self.press_menu(on_message_id=2)
        self.say("logout", "/logout", "logged out")

    def press_menu(self, on_message_id: int) -> None:
        menu = self.send("menu", self.press_update("MENU", on_message_id=on_message_id))
        self.check(any(b["callback_data"] == "LOGOUT" for b in buttons(menu)), "menu: buttons")

    def hot_loop(self) -> None:
        self.say("list", "/bookings", "bookings")
        self.press_menu(on_message_id=1)

    def recover(self) -> None:
        self.send("recover", self.text_update("/logout"))


class SmsChat:
    """One phone number texting the Twilio number: signed form posts, unique MessageSids."""

    channel = "sms"

    def __init__(
        self, http: httpx.Client, target: Target, login: Login, sids: Iterator[int]
    ) -> None:
        self.http = http
        self.target = target
        self.login = login
        self.sids = sids
        self.validator = RequestValidator(target.twilio_auth_token)
        self.signed_url = target.public_url + SMS_PATH
        self.log = ChatLog()

    def params(self, body: str) -> dict[str, str]:
        sid = f"SM{next(self.sids):032x}"
        return {
            "ToCountry": "GB",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "GB",
            "To": OUR_NUMBER,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": self.target.twilio_account_sid,
            "From": f"+{self.login.phone}",
            "ApiVersion": "2010-04-01",
        }

    def send(self, step: str, body: str, *, tally: bool = True) -> str:
        params = self.params(body)
        signature = self.validator.compute_signature(self.signed_url, params)
        response = timed_post(
            self.http,
            self.log,
            step,
            self.target.base_url + SMS_PATH,
            data=params,
            headers={SIGNATURE_HEADER: signature},
        )
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            raise WrongReply(f"{step}: not TwiML") from None
        expect(root.tag == "Response", f"{step}: not TwiML")
        text = "\n".join(m.text or "" for m in root.iter("Message"))
        if tally:
            self.log.sms.add_reply(text)
        return text

    def say(self, step: str, body: str, *markers: str) -> str:
        text = self.send(step, body)
        if self.target.bot_replies:
            expect(contains(text, markers), f"{step}: text")
        return text

    def log_in(self) -> None:
        self.say("hi", "hi", "PIN")
        self.say("pin", self.login.pin, "logged in")

    def journey(self) -> None:
        self.log_in()
        self.say("list", "BOOKINGS", "bookings")
        self.say("more", "MORE", "bookings")
        self.say("detail", "1", "Booking #")
        self.say("menu", "MENU", "log out")
        self.say("logout", "LOGOUT", "logged out")

    def hot_loop(self) -> None:
        self.say("list", "BOOKINGS", "bookings")
        self.say("menu", "MENU", "log out")

    def recover(self) -> None:
        self.send("recover", "LOGOUT", tally=False)


Chat = TelegramChat | SmsChat


def contains(text: str, markers: tuple[str, ...] | list[str]) -> bool:
    lowered = text.lower()
    return all(marker.lower() in lowered for marker in markers)


def buttons(method: dict[str, Any]) -> list[dict[str, Any]]:
    markup = method.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row if "callback_data" in b]


def steps(chat: Chat, journey: str) -> Callable[[], None]:
    """What one `journey` ("full", "hot" or "login") of `chat` sends."""
    if journey == "full":
        return chat.journey
    if journey == "hot":
        return chat.hot_loop
    if journey == "login":
        return chat.log_in
    raise ValueError(f"unknown journey {journey!r}")


def recovery(chat: Chat, journey: str) -> Callable[[], None]:
    """After a wrong answer: log out, and for the hot loop log in again."""
    if journey != "hot":
        return chat.recover

    def log_out_and_in() -> None:
        chat.recover()
        chat.log_in()

    return log_out_and_in


def run_chat(
    chat: Chat, keep_going: Callable[[int], bool], hard_deadline: float, journey: str = "full"
) -> ChatLog:
    """Journeys while `keep_going(journeys done)` says so; a journey under way is finished."""
    log = chat.log
    run_once = steps(chat, journey)
    recover = recovery(chat, journey)
    done = 0
    while keep_going(done) and time.monotonic() < hard_deadline:
        try:
            run_once()
            log.journeys += 1
            if chat.channel == "sms":
                log.sms.end_journey()
        except WrongReply as wrong:
            log.errors[wrong.kind] += 1
            log.aborted += 1
            if chat.channel == "sms":
                log.sms.end_journey(completed=False)
            try:
                recover()
            except WrongReply as again:
                log.errors[again.kind] += 1
        done += 1
    return log
