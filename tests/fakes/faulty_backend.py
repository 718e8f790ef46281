"""A backend wrapper that fails on purpose, the way a platform fails in production.

`FaultyBackend(real).fail("create_booking", OutcomeUnknown("timed out"), after_call=True)` makes
the next create really happen and then lose its answer; `times=None` fails every call until
`heal()`, and `skip=n` lets the next n calls through first. Every call is counted, so tests can
say how often the platform was asked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.backends.protocol import BackendUnavailable, BookingBackend

ErrorSpec = BaseException | type[BaseException]


@dataclass
class Fault:
    error: ErrorSpec
    times: int | None
    """How many calls fail; None: all of them."""
    after_call: bool
    """Fail after the real call was made (its effect happened, its answer is lost)."""
    skip: int

    def due(self) -> bool:
        """Whether this call fails; counts the call either way."""
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True

    def make(self) -> BaseException:
        if isinstance(self.error, BaseException):
            return self.error
        return self.error("the booking platform did not answer (simulated)")


class FaultyBackend:
    """Passes everything to `backend`, except the calls told to fail."""

    def __init__(self, backend: BookingBackend) -> None:
        self.backend = backend
        self.faults: dict[str, Fault] = {}
        self.calls: Counter[str] = Counter()

    def fail(
        self,
        method: str,
        error: ErrorSpec = BackendUnavailable,
        *,
        times: int | None = 1,
        after_call: bool = False,
        skip: int = 0,
    ) -> None:
        if not callable(getattr(self.backend, method, None)):
            raise AttributeError(f"the backend has no method {method!r}")
        self.faults[method] = Fault(error, times, after_call, skip)

    def heal(self, method: str | None = None) -> None:
        if method is None:
            self.faults.clear()
        else:
            self.faults.pop(method, None)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.backend, name)
        if name.startswith("_") or not callable(attribute):
            return attribute
        return self._wrap(name, attribute)

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            fault = self.faults.get(name)
            if fault is None or not fault.due():
                return method(*args, **kwargs)
            if fault.after_call:
                method(*args, **kwargs)
            raise fault.make()

        return call
