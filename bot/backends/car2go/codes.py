"""car2go's return codes 0-12 and OAuth problems, as the protocol's errors with a clear reply.

Return codes: http://code.google.com/p/car2go/wiki/index_v2_1 ("Return values"). They travel in
the body's `returnValue` of an HTTP 200; OAuth problems travel as HTTP 400/401/503 with an
`oauth_problem` (http://code.google.com/p/car2go/wiki/oauth, "Error codes").
"""

from __future__ import annotations

import logging

from bot.backends.protocol import (
    BackendError,
    BackendUnavailable,
    BookingNotFound,
    InvalidCredentials,
    LoginExpired,
    Rejected,
)

log = logging.getLogger(__name__)

OK = 0

RETURN_CODES: dict[int, str] = {
    0: "Operation successful.",
    1: "Location invalid.",
    2: "UserId invalid.",
    3: "No valid accounts found.",
    4: "Not all necessary url parameters provided.",
    5: "A technical error occured.",
    6: "Invalid url parameter provided.",
    7: "No valid driver license information could be found.",
    8: "The account is locked.",
    9: "The vehicle can not be booked.",
    10: "Vehicle invalid.",
    11: "Booking id invalid.",
    12: "No reserved vehicle found.",
}

NO_ACCOUNT = (
    "Your car2go account has no valid payment account for this city. "
    "Please check it in the car2go app."
)
NO_LICENCE = (
    "car2go has no valid driving licence for you, or your car2go login is locked. "
    "Please check your account in the car2go app."
)
ACCOUNT_LOCKED = "Your car2go account is locked. Please contact car2go."
CANNOT_BOOK = (
    "That car can't be reserved right now: it's taken, or you already have a car2go booking "
    "(or the most you may have). Choose another car, or cancel your booking first."
)
VEHICLE_GONE = "That car isn't available any more. Please choose another one."
INVALID_REQUEST = "car2go did not accept that request."
TRY_LATER = "car2go is having trouble right now."
CONNECT_AGAIN = "car2go no longer accepts this connection: please connect again."


def error_for(code: int, *, operation: str) -> BackendError:
    """The error for a return code other than 0 (`operation` names the call, for the log)."""
    description = RETURN_CODES.get(code, "unknown return code")
    if code in (1, 4):
        # Our configuration (CAR2GO_LOC) or our request is wrong: the operator must act.
        log.error("car2go %s: return code %s (%s)", operation, code, description)
        return BackendUnavailable(f"car2go return code {code}: {description}")
    if code == 2:
        return LoginExpired(CONNECT_AGAIN)
    if code == 3:
        return Rejected(NO_ACCOUNT)
    if code == 5:
        log.warning("car2go %s: return code 5 (technical error)", operation)
        return BackendUnavailable(TRY_LATER)
    if code == 6:
        return Rejected(INVALID_REQUEST)
    if code == 7:
        return Rejected(NO_LICENCE)
    if code == 8:
        return Rejected(ACCOUNT_LOCKED)
    if code == 9:
        return Rejected(CANNOT_BOOK, {"vehicle": "can not be booked"})
    if code == 10:
        return Rejected(VEHICLE_GONE, {"vehicle": "invalid"})
    if code in (11, 12):
        return BookingNotFound(description)
    log.error("car2go %s: unknown return code %s", operation, code)
    return BackendUnavailable(f"car2go return code {code}")


# OAuth problems (oauth.net ProblemReporting) as car2go lists them.
EXPIRED_PROBLEMS = frozenset({"token_expired", "token_rejected", "permission_unknown"})
OPERATOR_PROBLEMS = frozenset(
    {
        "version_rejected",
        "parameter_absent",
        "parameter_rejected",
        "timestamp_refused",
        "signature_method_rejected",
        "signature_invalid",
        "consumer_key_unknown",
        "consumer_key_refused",
        "nonce_used",
    }
)


def oauth_error_for(status: int, problem: str | None, *, operation: str) -> BackendError:
    """The error for an OAuth problem on a protected call or a token exchange."""
    if problem == "verifier_invalid":
        return InvalidCredentials("That code is not the one car2go showed.")
    if problem == "user_refused":
        return InvalidCredentials("Access was not granted on car2go.")
    if problem in EXPIRED_PROBLEMS or (status == 401 and problem not in OPERATOR_PROBLEMS):
        return LoginExpired(CONNECT_AGAIN)
    # Our consumer key/secret, clock or request is wrong, or car2go throttles us: the customer
    # can only try again later; the operator is told.
    log.error("car2go %s: HTTP %s, OAuth problem %s", operation, status, problem or "unstated")
    return BackendUnavailable(f"car2go OAuth problem {problem or status}")
