"""The built-in booking backend: catalogue, customers and bookings in SQLite or PostgreSQL."""

from bot.backends.builtin.backend import BuiltinBackend

__all__ = ["BuiltinBackend"]
