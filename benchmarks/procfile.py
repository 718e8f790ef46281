"""The Procfile's `web:` command, expanded the way the platform's shell would expand it."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path

FACTORY = "webhooks.app:create_app()"
GRANIAN_FACTORY = "webhooks.app:create_app"
"""granian names the factory without the call (`--factory webhooks.app:create_app`)."""
_VARIABLE = re.compile(r"\$\{(?P<braced>\w+)(?::-(?P<default>[^}]*))?\}|\$(?P<bare>\w+)")


def web_command(procfile: Path) -> str:
    lines = [ln for ln in procfile.read_text().splitlines() if ln.startswith("web:")]
    if len(lines) != 1:
        raise ValueError(f"{procfile} must have exactly one web: line, found {len(lines)}")
    return lines[0].removeprefix("web:").strip()


def expand(command: str, env: Mapping[str, str]) -> list[str]:
    """Argument list of `command` with `$VAR`, `${VAR}` and `${VAR:-default}` substituted.

    Only this subset of shell syntax: enough for a Procfile line, and no shell in between, so the
    benchmark signals gunicorn itself.
    """

    def value(match: re.Match[str]) -> str:
        name = match["braced"] or match["bare"]
        found = env.get(name, "")
        if found:
            return found
        if match["default"] is not None:
            return match["default"]
        raise ValueError(f"the Procfile needs ${name}, which is not set")

    return [_VARIABLE.sub(value, word) for word in shlex.split(command)]


def with_factory(argv: list[str], factory: str) -> list[str]:
    """The same command serving another app factory (the benchmark's slowed-down backend)."""
    if GRANIAN_FACTORY in argv and "--factory" in argv:
        called = factory.removesuffix("()")
        return [called if word == GRANIAN_FACTORY else word for word in argv]
    if FACTORY not in argv:
        raise ValueError(f"the Procfile's web: line does not serve {FACTORY}")
    return [factory if word == FACTORY else word for word in argv]
