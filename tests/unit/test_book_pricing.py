"""A service's pricing parameters become questions, with last time's answer offered."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.backends.protocol import BookingRequest, Catalogue, Customer, PricingParameter
from bot.conversation.states import State
from bot.runtime import build_runtime
from tests.fakes.chat import Chat

BEDROOMS = PricingParameter("bedrooms", "Bedrooms", minimum=1, maximum=6, default=2)


class BedroomsBackend:
    """The built-in backend, whose standard clean is priced by the number of bedrooms and
    whose bookings carry it in their details."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests: list[BookingRequest] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def catalogue(self) -> Catalogue:
        own = self.inner.catalogue()
        services = tuple(
            replace(s, pricing_parameters=(BEDROOMS,)) if s.id == "standard-clean" else s
            for s in own.services
        )
        return replace(own, services=services)

    def recent_bookings(self, customer: Customer, limit: int = 25):
        return [
            replace(b, details=(("Bedrooms", "3"),)) if b.service == "Standard clean" else b
            for b in self.inner.recent_bookings(customer, limit)
        ]

    def create_booking(self, customer: Customer, request: BookingRequest, key: str):
        self.requests.append(request)
        return self.inner.create_booking(customer, request, key)


def test_bedrooms_are_asked_with_last_times_answer_offered(
    any_redis, backend, settings, clock
) -> None:
    wrapped = BedroomsBackend(backend)
    engine = build_runtime(settings, redis_client=any_redis, backend=wrapped, clock=clock).engine
    sms = Chat(engine, channel="sms")
    sms.login()
    answer = sms.send("standard clean tomorrow 10am at 12 High St")
    assert "Bedrooms? Send a number from 1 to 6.\n1 3 (as last time)" in answer
    assert sms.session.state == State.BOOK_PRICING
    assert sms.send("9").startswith("Please send a number from 1 to 6.")
    summary = sms.send("1")
    assert summary.startswith("Standard clean\nBedrooms: 3\nTue 24 Nov 10:00, one-off")
    assert "Booked!" in sms.send("YES")
    assert dict(wrapped.requests[-1].pricing) == {"bedrooms": 3}
