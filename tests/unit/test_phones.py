import pytest

from bot.phones import normalize_phone


@pytest.mark.parametrize(
    "typed",
    [
        "447700900123",
        "+44 7700 900123",
        "07700 900123",
        "0044 7700 900123",
        "+44 (0)7700-900123",
        "whatsapp:+447700900123",
    ],
)
def test_uk_number_in_any_usual_form(typed: str) -> None:
    assert normalize_phone(typed, "GB") == "447700900123"


def test_us_number_with_and_without_plus() -> None:
    assert normalize_phone("15555550123", "GB") == "15555550123"
    assert normalize_phone("+1 (555) 555-0123", "GB") == "15555550123"
    assert normalize_phone("(555) 555-0123", "US") == "15555550123"


@pytest.mark.parametrize("typed", ["", "hello", "1234", "+44 123", "x" * 100, "🙂"])
def test_not_phone_numbers(typed: str) -> None:
    assert normalize_phone(typed, "GB") is None
