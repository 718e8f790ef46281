"""Telegram translation, both ways, on real-shaped updates and without HTTP."""

from __future__ import annotations

import html

import pytest
from telegram import Update

from bot.channels.telegram import (
    MAX_CALLBACK_BYTES,
    callback_query_id,
    incoming_from_update,
    render_methods,
    split_text,
)
from bot.messages import Incoming, Option, Reply
from tests.fakes.updates import TelegramUser, from_bot, in_group


def parse(data: dict) -> Update:
    return Update.de_json(data, None)


def incoming_of(data: dict) -> Incoming | None:
    return incoming_from_update(parse(data))


USER = TelegramUser(user_id=5150)
TG = Incoming(channel="telegram", conversation="5150", text="hi", message_id="77")


def test_a_text_message_becomes_an_incoming_with_ids():
    data = USER.text("hello there")
    incoming = incoming_of(data)
    assert incoming == Incoming(
        channel="telegram",
        conversation="5150",
        text="hello there",
        message_id=str(data["message"]["message_id"]),
        delivery_id=str(data["update_id"]),
    )
    assert incoming.key == "telegram:5150"


def test_a_command_keeps_its_slash_for_the_engine():
    assert incoming_of(USER.text("/bookings")).text == "/bookings"


def test_a_button_press_carries_the_callback_data_and_no_deletable_message():
    data = USER.press("CANCEL #1002")
    incoming = incoming_of(data)
    assert incoming.button == "CANCEL #1002"
    assert incoming.text == ""
    assert incoming.conversation == "5150"
    assert incoming.message_id is None
    assert incoming.delivery_id == str(data["update_id"])
    assert callback_query_id(parse(data)) == data["callback_query"]["id"]


def test_a_numbered_button_reads_as_the_typed_number():
    incoming = incoming_of(USER.press("opt:3"))
    assert (incoming.text, incoming.button) == ("3", None)


def test_the_senders_own_contact_vouches_for_the_phone():
    assert incoming_of(USER.contact("447700900123")).phone == "447700900123"


def test_someone_elses_contact_is_not_a_vouched_phone():
    incoming = incoming_of(USER.contact("447700900123", user_id=999))
    assert incoming is not None
    assert incoming.phone is None


def test_a_location_is_passed_on():
    assert incoming_of(USER.location(51.41, -0.3)).location == (51.41, -0.3)


def test_a_photo_is_media_and_its_caption_is_the_text():
    assert incoming_of(USER.photo()).has_media
    assert incoming_of(USER.photo(caption="BOOKINGS")).text == "BOOKINGS"


@pytest.mark.parametrize(
    "data",
    [
        from_bot("hello"),
        in_group("1234"),
        {
            "update_id": 5,
            "inline_query": {"id": "1", "from": USER.sender(), "query": "x", "offset": ""},
        },
        {
            "update_id": 6,
            "message": {
                "message_id": 3,
                "from": USER.sender(),
                "chat": USER.chat(),
                "date": 1795000000,
                "pinned_message": {"message_id": 2, "chat": USER.chat(), "date": 0},
            },
        },
    ],
    ids=["from-a-bot", "group-chat", "inline-query", "service-message"],
)
def test_what_the_bot_does_not_handle_gives_none(data):
    assert incoming_of(data) is None


def test_one_reply_is_one_html_send_message():
    methods = render_methods([Reply('Fish & <Chips> "now"')], TG)
    assert methods == [
        {
            "method": "sendMessage",
            "chat_id": 5150,
            "text": 'Fish & <Chips> "now"',
            "reply_markup": {"remove_keyboard": True},
        }
    ]


def test_short_options_are_one_labelled_button_per_row():
    reply = Reply("Menu", (Option("My bookings", "BOOKINGS"), Option("Log <out>", "LOGOUT")))
    [method] = render_methods([reply], TG)
    assert method["text"] == "Menu"
    assert method["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "My bookings", "callback_data": "BOOKINGS"}],
            [{"text": "Log <out>", "callback_data": "LOGOUT"}],  # labels are shown verbatim
        ]
    }


def test_long_labels_are_listed_in_the_text_with_short_numbered_buttons():
    bookings = [
        Option(f"#10{n} Booked, Thu {n} Dec 10:00, Standard clean & more", f"10{n}")
        for n in range(1, 7)
    ]
    options = (*bookings, Option("Menu", "MENU"))
    [method] = render_methods([Reply("Your bookings:", options)], TG)
    lines = method["text"].split("\n")
    assert lines[0] == "Your bookings:"
    assert lines[1] == "1. #101 Booked, Thu 1 Dec 10:00, Standard clean & more"
    assert lines[7] == "7. Menu"
    rows = method["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [["1", "2", "3", "4"], ["5", "6", "7"]]
    assert [b["callback_data"] for row in rows for b in row] == [o.value for o in options]


def test_callback_data_never_exceeds_64_bytes():
    long_value = "x" * 65
    reply = Reply("Pick", (Option("Short", "A"), Option("Too long a value", long_value)))
    [method] = render_methods([reply], TG)
    datas = [b["callback_data"] for row in method["reply_markup"]["inline_keyboard"] for b in row]
    assert datas == ["A", "opt:2"]
    assert all(len(d.encode()) <= MAX_CALLBACK_BYTES for d in datas)


def test_a_phone_request_is_a_one_time_contact_keyboard():
    [method] = render_methods([Reply("Your number?", request_phone=True)], TG)
    assert method["reply_markup"] == {
        "keyboard": [[{"text": "Share my phone number", "request_contact": True}]],
        "one_time_keyboard": True,
        "resize_keyboard": True,
    }


def test_deleting_the_pin_message_comes_before_the_answer():
    methods = render_methods([Reply("Logged in", delete_incoming=True)], TG)
    assert [m["method"] for m in methods] == ["deleteMessage", "sendMessage"]
    assert methods[0] == {"method": "deleteMessage", "chat_id": 5150, "message_id": 77}


def test_a_button_press_is_answered_first():
    pressed = Incoming(channel="telegram", conversation="5150", button="BOOKINGS")
    methods = render_methods(
        [Reply("A", delete_incoming=True), Reply("B")], pressed, callback_query_id="cb1"
    )
    assert methods[0] == {"method": "answerCallbackQuery", "callback_query_id": "cb1"}
    # no message id: the message under a button is the bot's, never deleted
    assert [m["method"] for m in methods] == ["answerCallbackQuery", "sendMessage", "sendMessage"]
    assert [m["text"] for m in methods[1:]] == ["A", "B"]


def test_long_text_is_split_below_4096_with_buttons_on_the_last_part():
    text = "\n".join(f"line {n} <b>" + "x" * 80 for n in range(120))
    methods = render_methods([Reply(text, (Option("Menu", "MENU"),))], TG)
    assert len(methods) > 1
    unescaped = [html.unescape(m["text"]) for m in methods]
    assert all(len(part) <= 4096 for part in unescaped)
    assert "\n".join(unescaped) == text
    assert "reply_markup" not in methods[0]
    assert methods[-1]["reply_markup"]["inline_keyboard"] == [
        [{"text": "Menu", "callback_data": "MENU"}]
    ]


def test_splitting_counts_utf16_units_and_keeps_every_character():
    text = "😀" * 3000  # two UTF-16 units each
    parts = split_text(text)
    assert "".join(parts) == text
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert len(parts) == 2
