"""What the booking flow asks, and how the summary reads: short, since SMS customers pay per part.

Pure functions of the draft and the catalogue. Option values are never command words (BOOK,
CANCEL, START...) so a pressed button always reaches the booking flow.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.backends.protocol import (
    BookingWindow,
    Catalogue,
    Extra,
    Money,
    PricingParameter,
    Service,
)
from bot.conversation.book.draft import Draft
from bot.conversation.formatting import when
from bot.conversation.turn import reply
from bot.messages import Option, Reply
from bot.understanding import when as when_

SMS_PLACE = 60
"""Characters of an address shown on SMS; the customer typed it, they know the rest."""
SMS_NOTE = 30


def service_option(service: Service) -> Option:
    return Option(f"{service.name} {service.price}", f"svc:{service.id}")


def ask_service(catalogue: Catalogue) -> Reply:
    return Reply("What would you like to book?", tuple(map(service_option, catalogue.services)))


def extras_text(draft: Draft, service: Service) -> str:
    names = []
    for extra in service.extras:
        if quantity := draft.extras.get(extra.id):
            names.append(f"{extra.name} x{quantity}" if quantity > 1 else extra.name)
    return ", ".join(names)


def ask_extras(draft: Draft, service: Service, sms: bool) -> Reply:
    options = []
    for extra in service.extras:
        label = f"{extra.name} +{extra.price}"
        if extra.max_quantity > 1 and not sms:
            label += f" (up to {extra.max_quantity})"
        options.append(Option(label, f"extra:{extra.id}"))
    chosen = extras_text(draft, service)
    if chosen:
        options.append(Option("Done", "DONE"))
        text = f"Extras: {chosen}. Add another, or Done."
    else:
        options.append(Option("No extras", "NONE"))
        first = service.extras[0]
        word = first.name.split()[0].lower()  # ids may be numbers on some platforms
        example = f"2 {word}" if first.max_quantity > 1 else word
        text = f"Any extras? Choose, or send e.g. '{example}'."
    return Reply(text, tuple(options))


def ask_parameter(parameter: PricingParameter, last: int | None) -> Reply:
    """'Bedrooms? Send a number from 1 to 6.' with last time's answer (or the default) offered."""
    low, high = parameter.minimum, parameter.maximum
    offered = last if last is not None else parameter.default
    options = []
    if offered is not None and low <= offered <= high:
        label = f"{offered} (as last time)" if last is not None else f"{offered} (usual)"
        options.append(Option(label, f"param:{parameter.id}:{offered}"))
    per = f" ({parameter.price} each)" if parameter.price else ""
    return Reply(f"{parameter.name}{per}? Send a number from {low} to {high}.", tuple(options))


def ask_quantity(extra: Extra) -> Reply:
    options = tuple(Option(str(n), f"qty:{extra.id}:{n}") for n in range(1, extra.max_quantity + 1))
    return Reply(f"How many {extra.name} ({extra.price} each)?", options)


def frequency_label(name: str, discount_percent: int) -> str:
    return f"{name} ({discount_percent}% off)" if discount_percent else name


def ask_frequency(catalogue: Catalogue) -> Reply:
    options = tuple(
        Option(frequency_label(f.name, f.discount_percent), f"freq:{f.id}")
        for f in catalogue.frequencies
    )
    return Reply("How often?", options)


def slot_options(starts: list[datetime], tz: ZoneInfo) -> tuple[Option, ...]:
    return tuple(Option(when(s, tz), s.isoformat()) for s in starts)


def ask_when(
    window: BookingWindow, now: datetime, tz: ZoneInfo, sms: bool, *, lead: str = ""
) -> Reply:
    """The time question with the first free slots as options."""
    examples = "e.g. tomorrow 10am" if sms else "e.g. 'tomorrow 10am', 'fri 10:30' or '24/11 9am'"
    text = lead or f"When? Send a day and time ({examples}), or choose:"
    return Reply(text, slot_options(when_.suggest(window, now, tz), tz))


def time_problem(
    text: str, reading: when_.Reading, window: BookingWindow, now: datetime, tz: ZoneInfo
) -> Reply:
    """What was understood and why it can't be booked, with the nearest times that can."""
    said = when_.explain(reading, text, now, tz, window)
    starts = when_.offer(reading, now, tz, window)
    if not starts:
        return Reply(f"{said} Sorry, we have no free times to offer.")
    tail = "" if reading.problem == "no_time" else " Free times:"
    return Reply(f"{said}{tail}", slot_options(starts, tz))


def ask_address(service: Service, share_location: bool) -> Reply:
    share = " or share a location" if share_location else ""
    return Reply(f"What's the address for the {service.name}? Street, town, postcode{share}.")


def ask_pickup(share_location: bool) -> Reply:
    share = " (or share a location)" if share_location else ""
    return Reply(f"Where should we pick you up{share}?")


def ask_dropoff() -> Reply:
    return Reply("Where to?")


def ask_note(sms: bool) -> Reply:
    text = (
        "Any note for us? Send it, or SKIP."
        if sms
        else ("Any note for us (door code, parking, luggage)? Send it, or Skip.")
    )
    return Reply(text, (Option("Skip", "SKIP"),))


def ask_edit(service: Service | None) -> Reply:
    fields = [("Service", "service")]
    if service is not None and service.extras:
        fields.append(("Extras", "extras"))
    fields += [("How often", "frequency"), ("When", "start")]
    if service is None or service.kind == "address":
        fields.append(("Address", "address"))
    else:
        fields += [("Pickup", "pickup"), ("Dropoff", "dropoff")]
    fields += [("Note", "note"), ("Back to summary", "back")]
    return Reply(
        "What would you like to change?",
        tuple(Option(label, f"EDIT {name}") for label, name in fields),
    )


def ask_resume(label: str) -> Reply:
    return reply(
        "You have an unfinished booking.",
        (f"Carry on with your booking ({label})", "CARRY ON"),
        ("Start again", "RESTART"),
    )


def confirm_options(
    draft: Draft | None = None, service: Service | None = None
) -> tuple[Option, ...]:
    """Book it, what can be added (extras, a note), change, don't book."""
    options = [Option("Book it", "YES")]
    if draft is not None and service is not None and service.extras and not draft.extras:
        options.append(Option("Add extras", "EDIT extras"))
    if draft is not None and not draft.note:
        options.append(Option("Add a note", "EDIT note"))
    return (*options, Option("Change something", "EDIT"), Option("Don't book", "NO"))


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a word boundary, never mid-word."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 3]
    if " " in cut and not text[limit - 3].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;") + "..."


def place_text(draft: Draft, service: Service) -> str:
    if service.kind == "ride":
        return f"{draft.pickup or '?'} to {draft.dropoff or '?'}"
    return draft.address or "?"


def quoted_total(draft: Draft) -> Money | None:
    if not draft.quote:
        return None
    return Money(draft.quote["total"], draft.quote.get("currency", "GBP"))


def summary(draft: Draft, catalogue: Catalogue, tz: ZoneInfo, sms: bool) -> Reply:
    """The booking as it will be made, its price from the platform's quote, and YES/EDIT/NO."""
    service = catalogue.service(draft.service or "")
    frequency = catalogue.frequency(draft.frequency or "")
    start = draft.start_at
    options = confirm_options(draft, service)
    if service is None or start is None:
        return Reply("Your booking is missing details.", options[1:])
    what = service.name
    if chosen := extras_text(draft, service):
        what += f" + {chosen}"
    lines = [what]
    answered = [
        (p.name, draft.pricing[p.id]) for p in service.pricing_parameters if p.id in draft.pricing
    ]
    if answered:
        lines.append(", ".join(f"{name}: {value}" for name, value in answered))
    time_line = when(start, tz)
    if frequency is not None:
        time_line += f", {frequency.name.lower()}"
    lines.append(time_line)
    place = place_text(draft, service)
    lines.append(shorten(place, SMS_PLACE) if sms else place)
    if draft.note:
        lines.append("Note: " + (shorten(draft.note, SMS_NOTE) if sms else draft.note))
    quote = draft.quote or {}
    currency = quote.get("currency", "GBP")
    price_lines = [(label, Money(minor, currency)) for label, minor in quote.get("lines", [])]
    total = quoted_total(draft)
    if not sms and len(price_lines) > 1:
        lines += [f"{label} {amount}" for label, amount in price_lines]
    if total is not None:
        discounts = [f"{label} {amount}" for label, amount in price_lines if amount.minor < 0]
        tail = f" (incl. {discounts[0]})" if sms and discounts else ""
        lines.append(f"Total {total}{tail}")
    lines.append("Book it?")
    return Reply("\n".join(lines), options)


def booked_text(booking_id: str, service: str, start: str, place: str, total: Money | None) -> str:
    """'Booked! #1042 Standard clean, Tue 24 Nov 10:00, 12 High St. Total £60.00.'"""
    parts = [f"Booked! #{booking_id} {service}", start]
    if place:
        parts.append(shorten(place, SMS_PLACE))
    text = ", ".join(parts) + "."
    if total is not None:
        text += f" Total {total}."
    return text


UNCONFIRMED = (
    "I couldn't confirm your booking: our booking system didn't answer. Nothing is known to be "
    "booked and your details are kept. Send YES to try again; you won't be booked twice."
)
