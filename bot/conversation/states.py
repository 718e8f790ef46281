"""Every state a conversation can be in, in the order a customer meets them."""

from enum import StrEnum


class State(StrEnum):
    # logging in
    START = "start"
    ASK_IDENTITY = "ask_identity"  # Telegram: which phone number (or email) are you?
    ASK_PIN = "ask_pin"

    # logged in
    MENU = "menu"
    BOOKINGS = "bookings"  # a page of the booking list is on screen
    BOOKING = "booking"  # one booking's details are on screen

    # booking something new (the draft lives in Session.draft)
    BOOK_RESUME = "book_resume"  # a draft from an earlier visit: carry on or start again?
    BOOK_SERVICE = "book_service"
    BOOK_EXTRAS = "book_extras"
    BOOK_FREQUENCY = "book_frequency"
    BOOK_WHEN = "book_when"
    BOOK_WHERE = "book_where"  # the address, for services done at an address
    BOOK_PICKUP = "book_pickup"  # for rides
    BOOK_DROPOFF = "book_dropoff"
    BOOK_NOTE = "book_note"
    BOOK_CONFIRM = "book_confirm"  # summary and price on screen: YES / NO / EDIT
    BOOK_EDIT = "book_edit"  # which field to change

    # cancelling
    CANCEL_CHOOSE = "cancel_choose"
    CANCEL_LATE = "cancel_late"  # "a late fee of £X applies: cancel anyway?"
    CANCEL_RECURRING = "cancel_recurring"  # "this one, this and all future, or keep it?"

    # tracking
    TRACK_CHOOSE = "track_choose"


LOGGED_OUT = frozenset({State.START, State.ASK_IDENTITY, State.ASK_PIN})
