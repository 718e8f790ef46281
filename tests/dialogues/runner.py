"""Runs a transcript file against the engine on one channel.

A transcript is plain text, one line each:

    # a comment (the first one is the title)
    ! channels: sms telegram console      which channels it runs on (default: all three)
    ! login                               log in first (not counted: the task starts after)
    ! target: 2                           the most messages the customer may need
    > what the customer sends
    < text the bot's answer contains      (any reply's text or an option's label)
    <1 text                               option 1 of the answer starts with this
    <none                                 the bot stays silent

Every `>` line is one message the customer sends and counts against the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.console import render, render_chat
from bot.conversation.engine import Engine
from bot.messages import Incoming, Reply, numbered
from tests.fakes.chat import DEMO_PHONE, DEMO_PIN

CHANNELS = ("sms", "telegram", "console")


@dataclass
class Exchange:
    said: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Transcript:
    title: str
    channels: tuple[str, ...] = CHANNELS
    login: bool = False
    target: int | None = None
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return len(self.exchanges)


def parse(path: Path) -> Transcript:
    transcript = Transcript(title="")
    for raw in path.read_text().splitlines():
        line = raw.rstrip()
        if not line:
            continue
        if line.startswith("#"):
            transcript.title = transcript.title or line[1:].strip()
        elif line.startswith("! channels:"):
            transcript.channels = tuple(line.split(":", 1)[1].split())
        elif line == "! login":
            transcript.login = True
        elif line.startswith("! target:"):
            transcript.target = int(line.split(":", 1)[1])
        elif line.startswith(">"):
            transcript.exchanges.append(Exchange(line[1:].strip()))
        elif line.startswith("<"):
            transcript.exchanges[-1].expected.append(line[1:])
        else:
            raise ValueError(f"{path.name}: unreadable line {line!r}")
    return transcript


class Driver:
    """One customer on one channel: what they send, as the channel would deliver it."""

    def __init__(self, engine: Engine, channel: str, conversation: str) -> None:
        self.engine = engine
        self.channel = channel
        self.conversation = conversation
        self.count = 0

    def send(self, text: str) -> tuple[list[Reply], str]:
        self.count += 1
        if self.channel == "sms":
            incoming = Incoming(
                "sms", self.conversation, text=text, phone=DEMO_PHONE, delivery_id=str(self.count)
            )
        else:  # Telegram, and the terminal, which chats as Telegram does
            incoming = Incoming(
                "telegram", self.conversation, text=text, message_id=str(self.count)
            )
        replies = self.engine.handle(incoming)
        shown = render_chat(replies) if self.channel == "console" else render(replies, self.channel)
        return replies, shown

    def log_in(self) -> None:
        if self.channel != "sms":
            self.send(f"+{DEMO_PHONE}")
        self.send(DEMO_PIN)


def check(expected: str, replies: list[Reply], shown: str) -> str | None:
    """What is wrong with the answer, or None."""
    if expected == "none":
        return None if not replies else f"expected silence, got {shown!r}"
    if expected.startswith("1 "):
        options = [o for r in replies for _, o in numbered(r.options)]
        first = options[0].label if options else ""
        want = expected[2:].strip()
        return None if first.startswith(want) else f"option 1 is {first!r}, not {want!r}"
    want = expected.strip()
    texts = [r.text for r in replies] + [o.label for r in replies for o in r.options]
    if any(want in text for text in texts):
        return None
    return f"{want!r} not in {shown!r}"


def run(transcript: Transcript, engine: Engine, channel: str) -> list[tuple[str, str]]:
    """The conversation as it happened; raises AssertionError at the first unmet expectation."""
    driver = Driver(engine, channel, conversation=f"dialogue-{channel}")
    if transcript.login:
        driver.log_in()
    happened = []
    for exchange in transcript.exchanges:
        replies, shown = driver.send(exchange.said)
        happened.append((exchange.said, shown))
        for expected in exchange.expected:
            problem = check(expected, replies, shown)
            assert problem is None, (
                f"{transcript.title} on {channel}, at {exchange.said!r}: {problem}"
            )
    return happened
