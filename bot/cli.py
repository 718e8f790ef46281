"""The `booking-bot` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

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
    logging.basicConfig(
        level=logging.WARNING if args.command == "shell" else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.run(args, Settings.from_env())
    except ValueError as exc:  # a setting that cannot work: say which, no traceback
        print(f"booking-bot: {exc}", file=sys.stderr)
        return 2


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
    try:
        return console.run(runtime.engine, args.channel, phone, sys.stdin, sys.stdout)
    except KeyboardInterrupt:
        return 0
    finally:
        runtime.close()


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from werkzeug.serving import run_simple

    from webhooks.app import create_app

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
