from bot.channels.sms import TWILIO_MAX_CHARS, is_gsm7, render_text, segments, to_gsm7
from bot.messages import Option, Reply


def test_quotes_dashes_and_ellipses_fold_into_gsm7() -> None:
    assert to_gsm7("It’s “done” – really…") == 'It\'s "done" - really...'


def test_emoji_are_dropped_and_accents_outside_gsm7_folded() -> None:
    assert to_gsm7("Thanks 👍🏽 Zoë, São Paulo, café") == "Thanks  Zoe, Sao Paulo, café"
    assert is_gsm7(to_gsm7("Łódź ✈️ 東京"))


def test_letters_without_a_gsm7_form_become_question_marks() -> None:
    assert to_gsm7("東京") == "??"


def test_segment_counts_follow_the_sms_rules() -> None:
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3
    assert segments("€" * 80) == 1  # extension characters count twice
    assert segments("€" * 81) == 2
    assert segments("ü" * 160) == 1  # in the GSM-7 basic set
    assert segments("ł" * 70) == 1  # UCS-2
    assert segments("ł" * 71) == 2


def test_options_render_as_numbered_lines_in_one_body() -> None:
    body = render_text(
        [Reply("Hello."), Reply("What next?", (Option("My bookings", "B"), Option("Log out", "L")))]
    )
    assert body == "Hello.\nWhat next?\n1 My bookings\n2 Log out"


def test_body_never_exceeds_twilios_limit() -> None:
    body = render_text([Reply("x" * 5000)])
    assert len(body) == TWILIO_MAX_CHARS and body.endswith("...")
