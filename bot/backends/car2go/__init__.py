"""car2go (API v2.1): connect by OAuth 1.0a link, list, reserve a car near you, cancel."""

from bot.backends.car2go.backend import Car2goBackend, make_car2go_backend

__all__ = ["Car2goBackend", "make_car2go_backend"]
