"""Every state a conversation can be in, in the order a customer meets them."""

from enum import StrEnum


class State(StrEnum):
    # logging in
    START = "start"
    ASK_IDENTITY = "ask_identity"  # Telegram: which phone number (or email) are you?
    ASK_PIN = "ask_pin"  # the secret: a PIN or a password, as the platform logs in
    ASK_CODE = "ask_code"  # the platform's one-time code, after the password
    ASK_LINK = "ask_link"  # an authorisation link was sent: waiting for its code

    # logged in
    MENU = "menu"
    BOOKINGS = "bookings"  # a page of the booking list is on screen
    BOOKING = "booking"  # one booking's details are on screen

    # booking something new (the draft lives in Session.draft)
    BOOK_RESUME = "book_resume"  # a draft from an earlier visit: carry on or start again?
    BOOK_SERVICE = "book_service"
    BOOK_PRICING = "book_pricing"  # "How many bedrooms?" (the service's pricing parameters)
    BOOK_EXTRAS = "book_extras"
    BOOK_FREQUENCY = "book_frequency"
    BOOK_WHEN = "book_when"
    BOOK_WHERE = "book_where"  # the address, for services done at an address
    BOOK_PICKUP = "book_pickup"  # for rides
    BOOK_DROPOFF = "book_dropoff"
    BOOK_NOTE = "book_note"
    BOOK_CONFIRM = "book_confirm"  # summary and price on screen: YES / NO / EDIT
    BOOK_EDIT = "book_edit"  # which field to change
    BOOK_NEAR = "book_near"  # a vehicle to reserve (car2go): where is the customer?
    BOOK_VEHICLE = "book_vehicle"  # the nearest free vehicles on screen: which one?

    # cancelling
    CANCEL_CHOOSE = "cancel_choose"
    CANCEL_CONFIRM = "cancel_confirm"  # "cancel booking #1042 on Tue 24 Nov 10:00?"
    CANCEL_REASON = "cancel_reason"  # the business asks why
    CANCEL_LATE = "cancel_late"  # "a late fee of £X applies: cancel anyway?"
    CANCEL_RECURRING = "cancel_recurring"  # "this one, this and all future, or keep it?"

    # SMS: the customer opted out (STOP); nothing is sent until START
    OPTED_OUT = "opted_out"

    # tracking
    TRACK_CHOOSE = "track_choose"


LOGGED_OUT = frozenset(
    {State.START, State.ASK_IDENTITY, State.ASK_PIN, State.ASK_CODE, State.ASK_LINK}
)
