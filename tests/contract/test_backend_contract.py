"""What every booking backend does, whatever the platform behind it (see conftest.PLATFORMS)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.backends.protocol import (
    BackendUnavailable,
    Booking,
    BookingNotFound,
    BookingStatus,
    Capability,
    ConfirmationRequired,
    InvalidCredentials,
    LoginExpired,
    Money,
    NotCancellable,
    OutcomeUnknown,
    Rejected,
)
from tests.contract.conftest import FAULTS, Platform

# --- login --------------------------------------------------------------------------------------


def test_the_right_secret_logs_the_customer_in(platform: Platform) -> None:
    customer = platform.fresh_login()
    assert customer.id
    assert customer.name or not platform.names_customer
    assert platform.backend.recent_bookings(customer), "the logged-in customer sees their bookings"


def test_a_wrong_secret_is_refused(platform: Platform) -> None:
    with pytest.raises(InvalidCredentials):
        platform.fresh_login(right=False)


# --- reading ------------------------------------------------------------------------------------


def test_the_list_is_newest_first(platform: Platform) -> None:
    platform.needs(Capability.LIST)
    bookings = platform.backend.recent_bookings(platform.login())
    starts = [b.start for b in bookings]
    assert starts == sorted(starts, reverse=True)
    expected = {platform.ids.late, platform.ids.plain, platform.ids.past} - {""}
    assert expected <= {b.id for b in bookings}


def test_the_list_holds_at_most_25_the_newest(platform: Platform) -> None:
    platform.needs(Capability.LIST)
    platform.needs(Capability.BOOK)
    customer = platform.login()
    made = [
        platform.backend.create_booking(customer, platform.request(days=2 + n), f"many-{n}")
        for n in range(26)
    ]
    bookings = platform.backend.recent_bookings(customer)
    assert len(bookings) == 25
    assert bookings[0].id == made[-1].id, "the furthest-ahead booking is listed first"
    assert len(platform.backend.recent_bookings(customer, limit=3)) == 3


def test_the_list_keeps_to_the_platforms_history_limit(platform: Platform) -> None:
    platform.needs(Capability.LIST)
    limit = platform.backend.history_limit
    if limit is None:
        pytest.skip(f"{platform.name} lists every booking")
    customer = platform.login()
    assert len(platform.backend.recent_bookings(customer)) == limit, "it holds more than that"
    assert len(platform.backend.recent_bookings(customer, limit=limit + 5)) == limit
    assert len(platform.backend.recent_bookings(customer, limit=3)) == 3


def test_one_booking_is_read_by_its_id(platform: Platform) -> None:
    platform.lack("late")
    customer = platform.login()
    booking = platform.backend.booking(customer, platform.ids.late)
    assert booking.id == platform.ids.late
    assert booking.status is BookingStatus.BOOKED
    assert booking.start > platform.clock.now
    if platform.prices:
        assert booking.price is not None and booking.price.minor > 0
    past = platform.backend.booking(customer, platform.ids.past)
    assert past.start < platform.clock.now
    assert not past.cancellable_at(platform.clock.now)


def test_an_unknown_booking_is_not_found(platform: Platform) -> None:
    customer = platform.login()
    for unknown in ("999999", "nonsense"):
        with pytest.raises(BookingNotFound):
            platform.backend.booking(customer, unknown)


def test_the_catalogue_has_services_and_frequencies(platform: Platform) -> None:
    platform.needs(Capability.BOOK)
    platform.lack("scheduled")
    catalogue = platform.backend.catalogue()
    assert catalogue.services and all(s.id and s.name for s in catalogue.services)
    assert any(f.interval_days is None for f in catalogue.frequencies), "a one-off frequency"
    assert any(f.interval_days for f in catalogue.frequencies), "a repeating frequency"
    assert any(s.extras for s in catalogue.services)


def test_a_quote_prices_the_request(platform: Platform) -> None:
    platform.needs(Capability.BOOK)
    customer = platform.login()
    request = platform.request()
    quote = platform.backend.quote(customer, request)
    service = platform.backend.catalogue().service(request.service_id)
    assert service is not None
    assert quote.total.minor >= service.price.minor, "at least the service's own price"
    without_extras = platform.backend.quote(customer, replace(request, extras={}))
    assert without_extras.total < quote.total, "the extra is priced in"


# --- creating -----------------------------------------------------------------------------------


def matching(bookings: list[Booking], start) -> list[Booking]:
    return [b for b in bookings if b.start == start and b.status is BookingStatus.BOOKED]


def test_a_created_booking_is_listed(platform: Platform) -> None:
    platform.needs(Capability.BOOK)
    customer = platform.login()
    request = platform.request()
    booking = platform.backend.create_booking(customer, request, "create-1")
    assert booking.status is BookingStatus.BOOKED
    assert booking.start == request.start
    listed = platform.backend.recent_bookings(customer)
    assert [b.id for b in matching(listed, request.start)] == [booking.id]
    assert platform.backend.booking(customer, booking.id).start == request.start


def test_the_same_key_twice_makes_one_booking(platform: Platform) -> None:
    platform.needs(Capability.BOOK)
    customer = platform.login()
    request = platform.request()
    first = platform.backend.create_booking(customer, request, "twice")
    second = platform.backend.create_booking(customer, request, "twice")
    assert second.id == first.id
    assert len(matching(platform.backend.recent_bookings(customer), request.start)) == 1


def test_a_lost_answer_makes_one_booking(platform: Platform) -> None:
    platform.needs(Capability.BOOK)
    customer = platform.login()
    request = platform.request()
    platform.lose_next_create_answer()
    try:
        first = platform.backend.create_booking(customer, request, "lost")
    except OutcomeUnknown:
        first = None
    again = platform.backend.create_booking(customer, request, "lost")
    assert first is None or first.id == again.id
    assert [b.id for b in matching(platform.backend.recent_bookings(customer), request.start)] == [
        again.id
    ]


def test_a_request_the_platform_cannot_take_is_rejected(platform: Platform) -> None:
    platform.needs(Capability.BOOK)
    customer = platform.login()
    too_soon = replace(platform.request(), start=platform.clock.now + timedelta(minutes=5))
    with pytest.raises(Rejected) as rejected:
        platform.backend.create_booking(customer, too_soon, "too-soon")
    assert rejected.value.fields
    assert not matching(platform.backend.recent_bookings(customer), too_soon.start)


# --- cancelling ---------------------------------------------------------------------------------


def status_of(platform: Platform, booking_id: str) -> BookingStatus:
    try:
        return platform.backend.booking(platform.login(), booking_id).status
    except BookingNotFound:
        if platform.forgets_cancelled:
            return BookingStatus.CANCELLED
        raise


def test_a_booking_far_ahead_cancels_without_a_question(platform: Platform) -> None:
    platform.needs(Capability.CANCEL)
    result = platform.backend.cancel_booking(platform.login(), platform.ids.plain)
    assert [b.id for b in result.cancelled] == [platform.ids.plain]
    assert result.fee is None
    assert status_of(platform, platform.ids.plain) is BookingStatus.CANCELLED


def test_a_late_cancel_asks_then_cancels_with_the_fee_shown(platform: Platform) -> None:
    platform.needs(Capability.CANCEL)
    platform.lack("late")
    customer = platform.login()
    with pytest.raises(ConfirmationRequired) as asked:
        platform.backend.cancel_booking(customer, platform.ids.late)
    assert asked.value.reason == "late"
    assert asked.value.booking.id == platform.ids.late
    if platform.names_late_fee:
        assert asked.value.fee is not None and asked.value.fee.minor > 0
    else:
        assert asked.value.fee is None and asked.value.message, "the business's words instead"
    assert status_of(platform, platform.ids.late) is BookingStatus.BOOKED, "nothing happened yet"
    result = platform.backend.cancel_booking(
        customer, platform.ids.late, late=True, confirm_fee=asked.value.fee
    )
    assert result.fee == asked.value.fee
    assert status_of(platform, platform.ids.late) is BookingStatus.CANCELLED


def test_a_fee_changed_since_it_was_shown_is_asked_again(platform: Platform) -> None:
    platform.needs(Capability.CANCEL)
    platform.lack("late")
    if not platform.names_late_fee:
        pytest.skip(f"{platform.name}: the platform names no fee, so none can change")
    customer = platform.login()
    with pytest.raises(ConfirmationRequired) as asked:
        platform.backend.cancel_booking(customer, platform.ids.late)
    shown = asked.value.fee
    assert shown is not None
    if platform.change_late_fee is not None:
        platform.change_late_fee()
    else:  # the customer agreed to an older fee than the one that applies now
        shown = Money(shown.minor - 100, shown.currency)
    with pytest.raises(ConfirmationRequired) as again:
        platform.backend.cancel_booking(customer, platform.ids.late, late=True, confirm_fee=shown)
    assert again.value.reason == "late"
    assert again.value.fee is not None and again.value.fee != shown
    assert status_of(platform, platform.ids.late) is BookingStatus.BOOKED
    result = platform.backend.cancel_booking(
        customer, platform.ids.late, late=True, confirm_fee=again.value.fee
    )
    assert result.fee == again.value.fee


def test_a_recurring_booking_asks_this_one_or_all_future(platform: Platform) -> None:
    platform.needs(Capability.CANCEL)
    platform.lack("recurring")
    with pytest.raises(ConfirmationRequired) as asked:
        platform.backend.cancel_booking(platform.login(), platform.ids.recurring)
    assert asked.value.reason == "recurring"
    assert asked.value.booking.recurring
    assert status_of(platform, platform.ids.recurring) is BookingStatus.BOOKED


def later_in_series(platform: Platform, cancelled: Booking) -> list[Booking]:
    return [
        b
        for b in platform.backend.recent_bookings(platform.login())
        if b.series_id == cancelled.series_id
        and b.start > cancelled.start
        and b.status is BookingStatus.BOOKED
    ]


def test_cancelling_this_one_keeps_the_series_going(platform: Platform) -> None:
    platform.needs(Capability.CANCEL)
    platform.lack("recurring")
    result = platform.backend.cancel_booking(
        platform.login(), platform.ids.recurring, recurring=True
    )
    assert [b.id for b in result.cancelled] == [platform.ids.recurring]
    assert status_of(platform, platform.ids.recurring) is BookingStatus.CANCELLED
    following = result.next_remaining
    assert following is not None and following.id != platform.ids.recurring
    assert following.series_id == result.cancelled[0].series_id
    assert following.status is BookingStatus.BOOKED
    assert later_in_series(platform, result.cancelled[0]), "later visits are still on"


def test_cancelling_this_and_future_ends_the_series(platform: Platform) -> None:
    platform.needs(Capability.CANCEL)
    platform.lack("recurring")
    result = platform.backend.cancel_booking(
        platform.login(), platform.ids.recurring, recurring=True, future=True
    )
    assert platform.ids.recurring in [b.id for b in result.cancelled]
    assert result.next_remaining is None
    assert status_of(platform, platform.ids.recurring) is BookingStatus.CANCELLED
    assert not later_in_series(platform, result.cancelled[0])


def test_a_past_booking_cannot_be_cancelled(platform: Platform) -> None:
    platform.needs(Capability.CANCEL)
    platform.lack("past")
    with pytest.raises(NotCancellable):
        platform.backend.cancel_booking(platform.login(), platform.ids.past, late=True)


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FAULTS)
def test_a_failing_platform_is_unavailable_never_a_crash(platform: Platform, kind: str) -> None:
    customer = platform.login()
    with platform.fault(kind) as broken:
        calls = {
            "list": lambda: broken.recent_bookings(customer),
            "booking": lambda: broken.booking(customer, platform.ids.plain),
        }
        if Capability.BOOK in broken.capabilities and "scheduled" not in platform.lacks:
            calls["catalogue"] = broken.catalogue
            calls["create"] = lambda: broken.create_booking(customer, platform.request(), "fault")
        if Capability.CANCEL in broken.capabilities:
            calls["cancel"] = lambda: broken.cancel_booking(customer, platform.ids.plain)
        for name, call in calls.items():
            with pytest.raises(BackendUnavailable):
                call()
                pytest.fail(f"{name} succeeded against a failing platform")
    assert status_of(platform, platform.ids.plain) is BookingStatus.BOOKED


def test_a_revoked_token_means_log_in_again(platform: Platform) -> None:
    if platform.revoke is None:
        pytest.skip(f"{platform.name} keeps no platform session")
    customer = platform.login()
    platform.revoke(customer)
    with pytest.raises(LoginExpired):
        platform.backend.recent_bookings(customer)
    if Capability.CANCEL in platform.backend.capabilities:
        with pytest.raises(LoginExpired):
            platform.backend.cancel_booking(customer, platform.ids.plain)
    again = platform.fresh_login()
    assert platform.backend.recent_bookings(again)
