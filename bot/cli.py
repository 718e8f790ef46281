"""The `booking-bot` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

from bot.config import Settings

DEMO_PHONE = "447700900123"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="booking-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    shell = commands.add_parser("shell", help="chat with the bot in this terminal")
    shell.add_argument("--channel", choices=["sms", "telegram"], default="telegram")
    shell.add_argument("--phone", help=f"the SMS sender's number (default {DEMO_PHONE})")
    shell.set_defaults(run=run_shell)

    serve = commands.add_parser("serve", help="run the webhook app locally")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    serve.add_argument("--host", default="127.0.0.1")
    serve.set_defaults(run=run_serve)

    telegram = commands.add_parser("telegram", help="Telegram webhook registration")
    telegram_commands = telegram.add_subparsers(dest="telegram_command", required=True)
    set_webhook = telegram_commands.add_parser("set-webhook", help="point Telegram at URL")
    set_webhook.add_argument("url")
    set_webhook.set_defaults(run=run_telegram_set_webhook)
    webhook_info = telegram_commands.add_parser("webhook-info", help="what Telegram has")
    webhook_info.set_defaults(run=run_telegram_webhook_info)

    twilio = commands.add_parser("twilio", help="Twilio number configuration")
    twilio_commands = twilio.add_subparsers(dest="twilio_command", required=True)
    configure = twilio_commands.add_parser(
        "configure-number", help="point a Twilio number's SMS webhook at URL"
    )
    configure.add_argument("number")
    configure.add_argument("url")
    configure.set_defaults(run=run_twilio_configure_number)

    demo = commands.add_parser("demo", help="the built-in backend's demo data")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    reset = demo_commands.add_parser("reset", help="(re)create the demo customers and bookings")
    reset.set_defaults(run=run_demo_reset)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Client libraries log whole requests (URLs with the bot token, Twilio's request) at INFO.
    for noisy in ("httpx", "telegram", "twilio.http_client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    secrets: list[str] = []
    try:
        settings = Settings.from_env()
        secrets = secret_values(settings)
        return args.run(args, settings)
    except ValueError as exc:  # a setting that cannot work: say which, no traceback
        return fail(str(exc), secrets, status=2)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an operator command ends in one line, never a traceback
        return fail(explain(exc), secrets)


def fail(message: str, secrets: list[str], status: int = 1) -> int:
    for secret in secrets:
        message = message.replace(secret, "<hidden>")
    print(f"booking-bot: {message}", file=sys.stderr)
    return status


def secret_values(settings: Settings) -> list[str]:
    """Everything that must never be printed: tokens, and passwords inside URLs."""
    values = [
        settings.telegram_bot_token,
        settings.telegram_webhook_secret,
        settings.twilio_auth_token,
    ]
    for url in (settings.redis_url, settings.database_url):
        if url:
            password = urlsplit(url).password
            values.append(password)
    return sorted({v for v in values if v and len(v) >= 3}, key=len, reverse=True)


def explain(exc: Exception) -> str:
    """One line saying what went wrong and which setting or service is involved."""
    from redis import RedisError
    from telegram.error import InvalidToken, NetworkError, TelegramError
    from twilio.base.exceptions import TwilioException

    from bot.backends.protocol import BackendUnavailable
    from bot.sessions import StoreUnavailable

    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, InvalidToken):
        return "Telegram refused TELEGRAM_BOT_TOKEN (check it with @BotFather)"
    if isinstance(exc, NetworkError) and "Unauthorized" in str(exc):
        return "Telegram refused TELEGRAM_BOT_TOKEN (check it with @BotFather)"
    if isinstance(exc, NetworkError):
        return f"cannot reach Telegram at TELEGRAM_API_URL: {exc}"
    if isinstance(exc, TelegramError):
        return f"Telegram answered: {exc}"
    if isinstance(exc, TwilioException):
        return f"Twilio answered: {getattr(exc, 'msg', exc)}"
    if _is_connection_error(exc):
        return f"cannot reach the service: {detail}"
    if isinstance(exc, StoreUnavailable | RedisError):
        return f"Redis at REDIS_URL is not usable: {exc}"
    if isinstance(exc, BackendUnavailable):
        return f"DATABASE_URL / the booking backend is not usable: {exc}"
    return detail


def _is_connection_error(exc: Exception) -> bool:
    """requests' and httpx's connection failures (Twilio's client uses requests)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectionError", "ConnectError", "Timeout", "TimeoutException"})


def run_shell(args: argparse.Namespace, settings: Settings) -> int:
    from bot.channels import console
    from bot.phones import normalize_phone
    from bot.runtime import build_runtime

    phone = None
    if args.channel == "sms":
        phone = normalize_phone(args.phone or DEMO_PHONE, settings.phone_region)
        if phone is None:
            print(f"booking-bot: {args.phone!r} is not a phone number", file=sys.stderr)
            return 2
    runtime = build_runtime(settings)
    if not runtime.store.ping():
        runtime.close()
        print("booking-bot: Redis at REDIS_URL is not reachable", file=sys.stderr)
        return 1
    try:
        return console.run(runtime.engine, args.channel, phone, sys.stdin, sys.stdout)
    except KeyboardInterrupt:
        return 0
    finally:
        runtime.close()


def channels_notice(settings: Settings) -> str | None:
    """What `serve` says at start when no channel would answer a customer."""
    if settings.telegram_bot_token or settings.twilio_auth_token:
        return None
    return (
        "no channel is configured, so only /healthz answers: set TELEGRAM_BOT_TOKEN and "
        "TELEGRAM_WEBHOOK_SECRET for Telegram, or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN for "
        "SMS and WhatsApp (`booking-bot shell` chats without either)"
    )


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from werkzeug.serving import run_simple

    from webhooks.app import create_app

    if notice := channels_notice(settings):
        print(f"booking-bot: {notice}", file=sys.stderr)
    # The settings already read, so the app and the rest of the command agree on them.
    run_simple(args.host, args.port, create_app(settings), threaded=True)
    return 0


def run_telegram_set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    from bot import admin

    print(admin.telegram_set_webhook(settings, args.url))
    return 0


def run_telegram_webhook_info(args: argparse.Namespace, settings: Settings) -> int:
    from bot import admin

    print(admin.telegram_webhook_info(settings))
    return 0


def run_twilio_configure_number(args: argparse.Namespace, settings: Settings) -> int:
    from bot import admin

    print(admin.twilio_configure_number(settings, args.number, args.url))
    return 0


def run_demo_reset(args: argparse.Namespace, settings: Settings) -> int:
    from bot import admin

    print(admin.demo_reset(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
