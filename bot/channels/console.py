"""The terminal as a channel: lines from stdin in, replies rendered as SMS or as a Telegram chat."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from bot.channels.sms import render_text
from bot.conversation.engine import Engine
from bot.conversation.profile import profile_of
from bot.messages import Incoming, Reply, numbered


def incoming(line: str, channel: str, phone: str | None) -> Incoming:
    if channel == "sms":
        return Incoming(channel="sms", conversation=phone or "", text=line, phone=phone)
    return Incoming(channel="telegram", conversation="console", text=line)


def render_chat(replies: Iterable[Reply]) -> str:
    """Telegram-like: each message, then its buttons as numbered [labels] (type the number)."""
    blocks = []
    for reply in replies:
        lines = [reply.text]
        lines += [f"  [{n} {option.label}]" for n, option in numbered(reply.options)]
        if reply.request_phone:
            lines.append("  [Share my phone number]")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def render(replies: list[Reply], channel: str) -> str:
    """As the channel shows it: text messages for SMS and WhatsApp, a chat for the rest."""
    if channel in ("sms", "whatsapp"):
        return render_text(replies, profile_of(channel))
    return render_chat(replies)


def run(engine: Engine, channel: str, phone: str | None, stdin: TextIO, stdout: TextIO) -> int:
    """One reply block per input line, until end of input."""
    interactive = stdin.isatty()
    if interactive:
        stdout.write(f"Chatting as {channel}{' from ' + phone if phone else ''}. Ctrl-D ends.\n")
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            return 0
        replies = engine.handle(incoming(line.rstrip("\r\n"), channel, phone))
        stdout.write(render(replies, channel) + "\n\n")
        stdout.flush()
