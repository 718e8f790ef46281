"""Whatever arrives, in whatever state: a clear reply, never a crash, the session as it was."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from bot.conversation.engine import SORRY
from bot.conversation.states import LOGGED_OUT, State
from bot.sessions import Session


def comparable(session: Session) -> dict:
    data = asdict(session)
    data.pop("updated_at")
    return data


def seed(chat, state: State) -> None:
    """Put the conversation in `state` directly, logged in unless it is a logging-in state."""
    session = chat.session
    if state not in LOGGED_OUT:
        chat.login()
        session = chat.session
    elif state is not State.START:
        session.identity = "447700900123"
    session.state = state
    store = chat.engine.store
    store.client.set(store.keys.session(f"{chat.channel}:{chat.conversation}"), session.to_json())


@pytest.mark.parametrize(
    "text",
    ["", "   ", "x" * 5000, "🙂🙂🙂", "CANCEL abc", "\x00\x07", "<b>hi</b> & 'quotes'"],
    ids=["empty", "blank", "5000 chars", "emoji", "cancel abc", "control chars", "markup"],
)
def test_bad_input_at_the_menu_gets_a_clear_reply_and_changes_nothing(chat, text: str) -> None:
    sms = chat("sms")
    sms.login()
    before = comparable(sms.session)
    answer = sms.send(text)
    assert answer and SORRY not in answer
    assert comparable(sms.session) == before


def test_specific_explanations(chat) -> None:
    sms = chat("sms")
    sms.login()
    assert "I didn't get any text there." in sms.send("")
    assert "too long" in sms.send("x" * 5000)
    assert "I can't find booking abc." in sms.send("CANCEL abc")
    assert "can only read text" in sms.send("", has_media=True)


SPEAKING = [s for s in State if s is not State.OPTED_OUT]  # opted out: silent on purpose


@pytest.mark.parametrize("state", SPEAKING, ids=[s.value for s in SPEAKING])
@pytest.mark.parametrize("text", ["xyzzy", "", "7", "YES"])
def test_unknown_input_in_every_state_says_what_to_do_next(chat, state: State, text: str) -> None:
    sms = chat("sms")
    seed(sms, state)
    answer = sms.send(text)
    assert answer.strip(), f"no reply in {state}"
    assert SORRY not in answer, f"{state} crashed on {text!r}"


SPEAKING = [s for s in State if s is not State.OPTED_OUT]  # opted out: silent on purpose


@pytest.mark.parametrize("state", SPEAKING, ids=[s.value for s in SPEAKING])
@pytest.mark.parametrize("word", ["MENU", "HELP", "LOGOUT"])
def test_global_words_work_in_every_state(chat, state: State, word: str) -> None:
    tg = chat("telegram")
    seed(tg, state)
    answer = tg.send(word)
    assert SORRY not in answer
    if word == "LOGOUT":
        assert tg.session.state == State.START and not tg.session.logged_in
    elif word == "MENU" and state not in LOGGED_OUT:
        assert tg.session.state == State.MENU
        assert "What would you like to do?" in answer
    elif word == "HELP" and state not in LOGGED_OUT:
        assert "BOOKINGS" in answer


def test_a_button_from_an_old_message_is_not_taken_as_an_answer(chat) -> None:
    tg = chat("telegram")
    tg.login()
    tg.send("BOOKINGS")
    tg.send("MENU")
    answer = tg.send(button="1003")
    assert "That button belongs to an earlier message." in answer
    assert tg.session.state == State.MENU


def test_a_state_from_an_older_release_starts_over_safely(chat) -> None:
    sms = chat("sms")
    sms.login()
    session = sms.session
    session.state = "retired_state"
    store = sms.engine.store
    store.client.set(store.keys.session(f"sms:{sms.conversation}"), session.to_json())
    assert "What would you like to do?" in sms.send("hello")


def test_yes_at_the_menu_has_nothing_to_confirm(chat) -> None:
    sms = chat("sms")
    sms.login()
    assert "There's nothing to confirm right now." in sms.send("YES")
    assert sms.session.state == State.MENU


def test_a_booking_typed_at_the_menu_starts_the_booking(chat) -> None:
    sms = chat("sms")
    sms.login()
    sms.send("deep clean tomorrow 9am at 5 Elm Road, Leeds LS1 4AP")
    assert sms.session.state.startswith("book_")
    assert sms.session.draft is not None
