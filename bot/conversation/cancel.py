"""Cancelling a booking, with the platform's confirmations (late fee, recurring series).

The bot first asks the backend to cancel with no confirmation at all. The backend answers
`ConfirmationRequired` (Launch27 answers 406 until `cancel_late` / `cancel_recurring` are given)
once per thing the customer must agree to: the late fee first, then, for a booking of a series,
this visit only or this and all future ones. Each question keeps in `Session.data` exactly what
it showed, and the confirmed call carries exactly what the customer agreed to: a fee that changed
in between is asked about again, never charged unseen.

    CANCEL ──> CANCEL_CHOOSE (upcoming, soonest first, MORE) ──(a number)──> the backend call
    CANCEL 40218 / CANCEL 2 / "Cancel it" ──> CANCEL_CONFIRM ──(YES)──> the backend call
    the backend call ──(ConfirmationRequired late)──> CANCEL_LATE ──(YES)──> the call again
                     ──(ConfirmationRequired recurring)──> CANCEL_RECURRING ──(THIS/FUTURE)──> ...
                     ──(ConfirmationRequired reason)──> CANCEL_REASON ──(a few words)──> ...
                     ──(done / refused)──> Next.MENU
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from bot.backends.protocol import (
    Booking,
    BookingNotFound,
    BookingStatus,
    Cancellation,
    ConfirmationRequired,
    Money,
    NotCancellable,
)
from bot.conversation import listing
from bot.conversation.formatting import when
from bot.conversation.listing import resolve_reference
from bot.conversation.states import State
from bot.conversation.step import Step
from bot.conversation.turn import Turn, ask_again, command_of, not_understood, reply, to_menu
from bot.messages import Reply

ECHO_CHARS = 15
"""How much of an unknown booking reference is quoted back (fits in SMS_RESERVE)."""

YES, NO, THIS, FUTURE = "YES", "NO", "THIS", "FUTURE"
LATE_WORDS = {"YES": YES, "Y": YES, "NO": NO, "N": NO}
SERIES_WORDS = {"THIS": THIS, "ONE": THIS, "FUTURE": FUTURE, "ALL": FUTURE, "NO": NO, "KEEP": NO}

CHOOSE_HEADER = "Which booking to cancel?"
FALLBACK = "Send the number of the booking to cancel, or MENU."
LOST = "Sorry, I lost track of that. Nothing was cancelled."
MAX_REASON = 200


@dataclass(frozen=True)
class Pending:
    """A cancellation waiting for the customer's answer, kept in `Session.data`."""

    booking: str
    start: str
    """ISO time of the booking, so the question can be asked again without the backend."""
    frequency: str | None = None
    fee_minor: int | None = None
    """The late fee the question showed (and, once answered YES, the one agreed to)."""
    currency: str | None = None
    series: str | None = None
    """THIS or FUTURE once the customer has answered the recurring question."""
    reason: str | None = None
    """Why the customer cancels, where the business asks (`ConfirmationRequired("reason")`)."""
    late_agreed: bool = False
    """The customer said YES to the late cancellation question as it stands."""
    fee_changed: bool = False

    @classmethod
    def of(cls, booking: Booking) -> Pending:
        return cls(booking.id, booking.start.isoformat(), booking.frequency)

    @classmethod
    def load(cls, data: dict[str, Any]) -> Pending | None:
        raw = data.get("pending")
        if not isinstance(raw, dict):
            return None
        try:
            return cls(**raw)
        except TypeError:  # saved by an older release
            return None

    @property
    def fee(self) -> Money | None:
        if self.fee_minor is None:
            return None
        return Money(self.fee_minor, self.currency or "GBP")

    @property
    def starts(self) -> datetime:
        return datetime.fromisoformat(self.start)


# --- entry and choosing -------------------------------------------------------------------------


def start(turn: Turn) -> list[Reply]:
    """CANCEL: the list of cancellable bookings; `CANCEL <id>`, `#<id>` or `<n>`: that booking,
    after a yes."""
    if turn.args and (booking_id := resolve_reference(turn, turn.args)):
        return confirm_first(turn, booking_id)
    turn.session.data = {}
    return show_list(turn, 0)


def show_list(turn: Turn, offset: int) -> list[Reply]:
    found = turn.backend.recent_bookings(turn.customer, limit=listing.LIMIT)
    items = listing.upcoming(found, turn.now)
    if not items:
        return to_menu(turn, "You have no upcoming bookings to cancel.")
    turn.goto(State.CANCEL_CHOOSE)
    return [listing.show_page(turn, items, list_header, offset=offset)]


def list_header(first: int, last: int, total: int) -> str:
    if first == 1 and last == total:
        return CHOOSE_HEADER
    return f"{CHOOSE_HEADER} ({first}-{last} of {total})"


def confirm_first(turn: Turn, booking_id: str) -> list[Reply]:
    """A booking named by the customer ("CANCEL 40218", "CANCEL 2"): ask before cancelling."""
    try:
        booking = turn.backend.booking(turn.customer, booking_id)
    except BookingNotFound:
        if turn.session.state == State.CANCEL_CHOOSE:
            return ask_again(turn, cant_find(booking_id))
        return to_menu(turn, cant_find(booking_id))
    if not booking.cancellable_at(turn.now):
        return to_menu(turn, why_not(booking, turn))
    turn.session.data = {"pending": asdict(Pending.of(booking)), "service": booking.service}
    turn.goto(State.CANCEL_CONFIRM)
    return [prompt(turn)]


def confirm_question(turn: Turn, pending: Pending) -> Reply:
    service = turn.session.data.get("service") or "booking"
    on = when(pending.starts, turn.settings.tz)
    ref = f"#{pending.booking}"
    return reply(
        f"Cancel {ref} {service} on {on}?",
        ("Yes, cancel it", f"{YES} {ref}"),
        ("No, keep it", f"{NO} {ref}"),
    )


def on_confirm(turn: Turn) -> list[Reply]:
    pending = Pending.load(turn.session.data)
    if pending is None:
        return to_menu(turn, LOST)
    answer = answer_of(turn, confirm_question(turn, pending), LATE_WORDS)
    if answer is None:
        return not_understood(turn)
    if answer == NO:
        return kept(turn, pending)
    return attempt(turn, pending)


def on_choose(turn: Turn) -> list[Reply]:
    if turn.word == "MORE":
        return show_list(turn, turn.session.list_next)
    if turn.choice is not None:
        return begin(turn, turn.choice)
    text = turn.text
    if text.lstrip("#").isdigit():
        booking_id = resolve_reference(turn, text)
        if booking_id:
            return begin(turn, booking_id)
    return not_understood(turn)


def begin(turn: Turn, booking_id: str) -> list[Reply]:
    """Look the booking up, refuse what can't be cancelled, else try without confirmations."""
    try:
        booking = turn.backend.booking(turn.customer, booking_id)
    except BookingNotFound:
        return ask_again(turn, cant_find(booking_id))
    if not booking.cancellable_at(turn.now):
        return to_menu(turn, why_not(booking, turn))
    return attempt(turn, Pending.of(booking))


def cant_find(ref: str) -> str:
    """'I can't find booking 99999.', quoting at most ECHO_CHARS of what was typed."""
    if len(ref) <= ECHO_CHARS:
        return f"I can't find booking {ref}."
    return f"I can't find booking {ref[: ECHO_CHARS - 3]}..."


def why_not(booking: Booking, turn: Turn) -> str:
    on = when(booking.start, turn.settings.tz)
    if booking.status is BookingStatus.CANCELLED:
        return f"Booking #{booking.id} on {on} is already cancelled."
    if booking.status is BookingStatus.COMPLETED:
        return f"Booking #{booking.id} on {on} has already taken place, so it can't be cancelled."
    if booking.status is BookingStatus.IN_PROGRESS:
        return f"Booking #{booking.id} is under way, so it can't be cancelled now."
    return f"Booking #{booking.id} was due {on}, so it can't be cancelled now."


# --- the backend call and its questions ---------------------------------------------------------


def attempt(turn: Turn, pending: Pending) -> list[Reply]:
    """Cancel with exactly what the customer has agreed to so far; ask when more is needed."""
    try:
        result = turn.backend.cancel_booking(
            turn.customer,
            pending.booking,
            confirm_fee=pending.fee,
            late=pending.late_agreed,
            recurring=pending.series is not None,
            future=pending.series == FUTURE,
            **({"reason": pending.reason} if pending.reason else {}),
        )
    except ConfirmationRequired as question:
        return ask(turn, pending, question)
    except NotCancellable:
        return to_menu(turn, refused(turn, pending.booking))
    except BookingNotFound:
        return to_menu(turn, cant_find(pending.booking))
    return to_menu(turn, outcome(turn, result))


def refused(turn: Turn, booking_id: str) -> str:
    """Why the backend refused: usually the booking changed while the customer was deciding."""
    try:
        booking = turn.backend.booking(turn.customer, booking_id)
    except BookingNotFound:
        return cant_find(booking_id)
    if not booking.cancellable_at(turn.now):
        return why_not(booking, turn)
    return f"Sorry, booking #{booking_id} can't be cancelled now."


def ask(turn: Turn, pending: Pending, question: ConfirmationRequired) -> list[Reply]:
    booking = question.booking
    pending = replace(pending, start=booking.start.isoformat(), frequency=booking.frequency)
    if question.reason == "late":
        fee = question.fee
        pending = replace(
            pending,
            fee_minor=None if fee is None else fee.minor,
            currency=None if fee is None else fee.currency,
            fee_changed=pending.fee is not None and fee != pending.fee,
            late_agreed=False,
        )
        turn.goto(State.CANCEL_LATE)
    elif question.reason == "reason":
        turn.goto(State.CANCEL_REASON)
    else:
        pending = replace(pending, series=None)
        turn.goto(State.CANCEL_RECURRING)
    turn.session.data = {"pending": asdict(pending)}
    return [prompt(turn)]


def late_question(turn: Turn, pending: Pending) -> Reply:
    on = f"booking #{pending.booking} on {when(pending.starts, turn.settings.tz)}"
    fee = pending.fee
    if fee is None:
        text = f"A late cancellation fee applies to {on}. Cancel anyway?"
    elif pending.fee_changed:
        text = f"The late cancellation fee has changed: it is now {fee} for {on}. Cancel anyway?"
    else:
        text = f"A late cancellation fee of {fee} applies to {on}. Cancel anyway?"
    bound = f"#{pending.booking} {pending.fee_minor}"
    return reply(text, ("Yes, cancel it", f"{YES} {bound}"), ("No, keep it", f"{NO} {bound}"))


def recurring_question(turn: Turn, pending: Pending) -> Reply:
    on = when(pending.starts, turn.settings.tz)
    series = f"a {pending.frequency.lower()} series" if pending.frequency else "a series"
    ref = f"#{pending.booking}"
    return reply(
        f"Booking {ref} on {on} is part of {series}.",
        ("Cancel this one only", f"{THIS} {ref}"),
        ("Cancel this and all future", f"{FUTURE} {ref}"),
        ("Keep it", f"{NO} {ref}"),
    )


def reason_question(turn: Turn, pending: Pending) -> Reply:
    return reply(
        f"Please tell us in a few words why you're cancelling #{pending.booking}.",
        ("Keep it", f"{NO} #{pending.booking}"),
    )


def on_reason(turn: Turn) -> list[Reply]:
    pending = Pending.load(turn.session.data)
    if pending is None:
        return to_menu(turn, LOST)
    if turn.choice is not None or turn.word in ("NO", "KEEP"):
        return kept(turn, pending)
    why = turn.text[:MAX_REASON]
    if not why:
        return not_understood(turn)
    return attempt(turn, replace(pending, reason=why))


def on_late(turn: Turn) -> list[Reply]:
    pending = Pending.load(turn.session.data)
    if pending is None:
        return to_menu(turn, LOST)
    answer = answer_of(turn, late_question(turn, pending), LATE_WORDS)
    if answer is None:
        return not_understood(turn)
    if answer == NO:
        return kept(turn, pending)
    return attempt(turn, replace(pending, late_agreed=True))


def on_recurring(turn: Turn) -> list[Reply]:
    pending = Pending.load(turn.session.data)
    if pending is None:
        return to_menu(turn, LOST)
    answer = answer_of(turn, recurring_question(turn, pending), SERIES_WORDS)
    if answer is None:
        return not_understood(turn)
    if answer == NO:
        return kept(turn, pending)
    return attempt(turn, replace(pending, series=answer))


def answer_of(turn: Turn, question: Reply, words: dict[str, str]) -> str | None:
    """The answer to `question`: an option of it (button or number), or one of `words` typed.

    Option values carry the booking id (and the fee), so only an option of the question on
    screen counts: a button of an earlier question never confirms this one.
    """
    if turn.choice is not None:
        if turn.choice not in {o.value for o in question.options}:
            return None
        return command_of(turn.choice)[0]
    return words.get(turn.word)


def kept(turn: Turn, pending: Pending) -> list[Reply]:
    return to_menu(turn, f"Booking #{pending.booking} is kept.")


# --- answers ------------------------------------------------------------------------------------


def outcome(turn: Turn, result: Cancellation) -> str:
    """What happened: which booking(s), the fee charged, and what is left of a series."""
    tz = turn.settings.tz
    gone = sorted(result.cancelled, key=lambda b: b.start)
    if len(gone) == 1:
        parts = [f"Booking #{gone[0].id} on {when(gone[0].start, tz)} is cancelled."]
    elif gone:
        first, last = gone[0], gone[-1]
        parts = [
            f"{len(gone)} bookings are cancelled: #{first.id} on {when(first.start, tz)} "
            f"to #{last.id} on {when(last.start, tz)}."
        ]
    else:
        parts = ["Nothing needed cancelling."]
    if result.fee is not None and result.fee.minor > 0:
        if result.late_fee:
            parts.append(f"A {result.fee} late fee applies.")
        else:
            parts.append(f"A cancellation fee of {result.fee} applies.")
    if any(b.recurring for b in gone):
        if result.next_remaining is not None:
            parts.append(f"Your next visit is {when(result.next_remaining.start, tz)}.")
        else:
            parts.append("No visits of this series remain.")
    return " ".join(parts)


def prompt(turn: Turn) -> Reply:
    """The question of the current cancel state, rebuilt from `Session.data` (no backend call)."""
    data = turn.session.data
    state = turn.session.state
    pending = Pending.load(data)
    if state == State.CANCEL_LATE and pending is not None:
        return late_question(turn, pending)
    if state == State.CANCEL_RECURRING and pending is not None:
        return recurring_question(turn, pending)
    if state == State.CANCEL_CONFIRM and pending is not None:
        return confirm_question(turn, pending)
    if state == State.CANCEL_REASON and pending is not None:
        return reason_question(turn, pending)
    return listing.shown_again(turn, FALLBACK)


STEPS = {
    State.CANCEL_CHOOSE: Step(on_choose, prompt),
    State.CANCEL_CONFIRM: Step(on_confirm, prompt),
    State.CANCEL_LATE: Step(on_late, prompt),
    State.CANCEL_RECURRING: Step(on_recurring, prompt),
    State.CANCEL_REASON: Step(on_reason, prompt),
}
