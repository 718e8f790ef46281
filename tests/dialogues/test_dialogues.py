"""Every transcript in this folder, on each channel it names, with its message count held."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime import build_runtime
from tests.dialogues.runner import parse, run

HERE = Path(__file__).parent
CASES = [
    pytest.param(path, channel, id=f"{path.stem}-{channel}")
    for path in sorted(HERE.glob("*.txt"))
    for channel in parse(path).channels
]


@pytest.mark.parametrize(("path", "channel"), CASES)
def test_transcript(path: Path, channel: str, memory_redis, backend, settings, clock) -> None:
    transcript = parse(path)
    engine = build_runtime(settings, redis_client=memory_redis, backend=backend, clock=clock).engine
    happened = run(transcript, engine, channel)
    assert len(happened) == transcript.messages
    if transcript.target is not None:
        assert transcript.messages <= transcript.target, (
            f"{transcript.title}: {transcript.messages} messages, target {transcript.target}"
        )
