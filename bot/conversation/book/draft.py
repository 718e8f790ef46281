"""The booking being made: its fields, how it is kept in the session, and what to ask next.

A draft is a plain JSON-able dict in `Session.draft`, so it survives a backend failure, MENU and
an idle timeout (the engine keeps it for a day). Its idempotency key is the draft's random id plus
a digest of its fields: a repeated YES or a retry after a timeout sends the same key, so the
platform creates one booking; an edited draft is a different booking and gets a new key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.backends.protocol import BookingRequest, Catalogue, PricingParameter, Service
from bot.conversation.formatting import when
from bot.understanding.where import Place

log = logging.getLogger(__name__)

FIELDS = (
    "service",
    "pricing",
    "extras",
    "frequency",
    "start",
    "address",
    "pickup",
    "dropoff",
    "note",
)
"""The order the questions come in."""


@dataclass
class Draft:
    id: str
    service: str | None = None
    extras: dict[str, int] = field(default_factory=dict)
    extras_done: bool = False
    frequency: str | None = None
    start: str | None = None
    """ISO 8601, UTC."""
    address: str | None = None
    city: str | None = None
    postcode: str | None = None
    pickup: str | None = None
    dropoff: str | None = None
    location: list[float] | None = None
    """A shared location (latitude, longitude): of the address, or of a ride's pickup."""
    note: str | None = None
    note_done: bool = False
    editing: str | None = None
    """The field the customer chose to change from the summary: asked next, whatever is set."""
    pricing: dict[str, int] = field(default_factory=dict)
    """The service's pricing parameters answered so far (Launch27 "Bedrooms": 2)."""
    pending_extra: str | None = None
    """The extra whose quantity is being asked."""
    time_text: str | None = None
    """The customer's words for a time that can't be booked as read (from a one-message booking):
    explained, with times that can, when the time is asked for."""
    quote: dict[str, Any] | None = None
    """The price shown on the summary, and the digest of the fields it was for."""
    attempt: dict[str, Any] | None = None
    """A create sent: its key, and matching bookings that existed before it (not ours)."""

    @classmethod
    def new(cls) -> Draft:
        return cls(id=secrets.token_hex(8))

    # --- keeping it in the session ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Draft | None:
        if not isinstance(data, dict) or not data.get("id"):
            return None
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError:
            log.warning("unreadable booking draft dropped")
            return None

    # --- the fields ------------------------------------------------------------------------------

    @property
    def start_at(self) -> datetime | None:
        if not self.start:
            return None
        try:
            moment = datetime.fromisoformat(self.start)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def set_start(self, moment: datetime | None) -> None:
        self.start = moment.astimezone(UTC).isoformat() if moment else None

    def set_service(self, service: Service, previous: Service | None) -> None:
        """Choose the service; extras belong to a service and places to a kind of service."""
        if self.service != service.id:
            self.pricing = {}
            self.extras = {}
            self.extras_done = not service.extras
            self.pending_extra = None
        if previous is not None and previous.kind != service.kind:
            self.clear_place()
        self.fit_place(service)
        self.service = service.id

    def set_address(self, place: Place) -> None:
        self.address, self.city, self.postcode = place.text, place.city, place.postcode
        self.location = list(place.location) if place.location else None

    def set_pickup(self, place: Place) -> None:
        self.pickup = place.text
        self.location = list(place.location) if place.location else None

    def set_dropoff(self, place: Place) -> None:
        self.dropoff = place.text

    def fit_place(self, service: Service) -> None:
        """Keep only the places this kind of service uses: an address given for a ride is where
        to pick up; a pickup or dropoff means nothing for a job done at one address."""
        if service.kind == "ride":
            if self.address and not self.pickup:
                self.pickup = self.address
            self.address = self.city = self.postcode = None
        else:
            self.pickup = self.dropoff = None

    def clear_place(self) -> None:
        self.address = self.city = self.postcode = self.pickup = self.dropoff = None
        self.location = None

    def clear(self, name: str) -> None:
        """Forget one field so it is asked again (after the platform rejected it)."""
        if name == "pricing":
            self.pricing = {}
        elif name == "service":
            self.service, self.extras, self.extras_done = None, {}, False
        elif name == "extras":
            self.extras, self.extras_done = {}, False
        elif name == "frequency":
            self.frequency = None
        elif name == "start":
            self.start = None
        elif name == "address":
            self.address = self.city = self.postcode = None
            self.location = None
        elif name == "pickup":
            self.pickup, self.location = None, None
        elif name == "dropoff":
            self.dropoff = None
        elif name == "note":
            self.note, self.note_done = None, False

    def asked_for(self, service: Service) -> tuple[str, ...]:
        """The fields this service's bookings have, in the order they are asked."""
        extras = ("extras",) if service.extras else ()
        pricing = ("pricing",) if service.pricing_parameters else ()
        return ("service", *pricing, *extras, "frequency", "start", *self.places(service), "note")

    def places(self, service: Service) -> tuple[str, ...]:
        return ("address",) if service.kind == "address" else ("pickup", "dropoff")

    def missing(self, catalogue: Catalogue) -> str | None:
        """The field to ask about next, or None when the draft is ready for its summary.

        A booking needs a service, how often, when and where; extras and a note are offered at
        the summary (EXTRAS / NOTE) instead of asked, so a one-message booking takes two."""
        service = catalogue.service(self.service) if self.service else None
        if service is None:
            return "service"
        if self.editing is not None and self.editing in self.asked_for(service):
            return self.editing
        if self.next_parameter(service) is not None:
            return "pricing"
        if self.frequency is None or catalogue.frequency(self.frequency) is None:
            return "frequency"
        if self.start_at is None:
            return "start"
        for name in self.places(service):
            if not getattr(self, name):
                return name
        return None  # extras and a note are offered at the summary, not asked

    def next_parameter(self, service: Service) -> PricingParameter | None:
        """The first pricing parameter of the service not answered yet."""
        return next((p for p in service.pricing_parameters if p.id not in self.pricing), None)

    def is_empty(self) -> bool:
        return self.service is None and self.start is None

    # --- what is sent ----------------------------------------------------------------------------

    def request(self) -> BookingRequest:
        start = self.start_at
        if self.service is None or start is None:
            raise ValueError("the draft has no service or start yet")
        return BookingRequest(
            service_id=self.service,
            start=start,
            frequency_id=self.frequency,
            extras=dict(self.extras),
            address=self.address,
            city=self.city,
            postcode=self.postcode,
            pickup=self.pickup,
            dropoff=self.dropoff,
            location=(self.location[0], self.location[1]) if self.location else None,
            note=self.note,
            pricing=dict(self.pricing),
        )

    def digest(self, customer_id: str) -> str:
        """A fingerprint of everything that would be booked, for whom."""
        content = {
            "customer": customer_id,
            "service": self.service,
            "extras": sorted(self.extras.items()),
            "frequency": self.frequency,
            "start": self.start_at.isoformat() if self.start_at else None,
            "address": self.address,
            "city": self.city,
            "postcode": self.postcode,
            "pickup": self.pickup,
            "dropoff": self.dropoff,
            "location": self.location,
            "note": self.note,
            "pricing": sorted(self.pricing.items()),
        }
        raw = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()

    def idempotency_key(self, customer_id: str) -> str:
        return f"chat-{self.id}-{self.digest(customer_id)[:24]}"

    def label(self, catalogue: Catalogue, tz: ZoneInfo) -> str:
        """'Standard clean, Tue 24 Nov 10:00': enough to recognise it by."""
        service = catalogue.service(self.service) if self.service else None
        parts = [service.name if service else "New booking"]
        if start := self.start_at:
            parts.append(when(start, tz))
        return ", ".join(parts)
