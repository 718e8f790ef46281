"""One state of a flow: what it does with a message, and how it asks again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.conversation.turn import Turn
from bot.messages import Reply

Handler = Callable[[Turn], list[Reply]]


@dataclass(frozen=True)
class Step:
    on_message: Handler
    prompt: Callable[[Turn], Reply]
    """Asks again for what this state needs: used after input it could not use."""
