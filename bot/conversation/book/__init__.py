"""Booking something new by chat, in the order the questions come:

    BOOK [text] ──> BOOK_RESUME (a draft from an earlier visit: carry on / start again)
                ──> the first field the draft lacks: BOOK_SERVICE → BOOK_EXTRAS →
                    BOOK_FREQUENCY → BOOK_WHEN → BOOK_WHERE | BOOK_PICKUP → BOOK_DROPOFF
                ──> BOOK_CONFIRM (summary with the platform's price; EXTRAS / NOTE / EDIT offered)
    BOOK_CONFIRM ──(YES)──> created once (idempotency key) ──> Next.MENU
                 ──(NO / CANCEL)──> draft dropped ──> Next.MENU
                 ──(EDIT <field>)──> that field's state, then back to the summary

`steps` holds what each state does with a message, `flow` the order of questions and the summary,
`questions` the wording, `create` the exactly-once create, `draft` the booking being made.
"""

from bot.conversation.book.flow import BOOK_STATES
from bot.conversation.book.steps import STEPS, start

__all__ = ["BOOK_STATES", "STEPS", "start"]
