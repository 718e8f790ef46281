"""The server command lines: the Procfile's line with the app swapped, or granian's equivalent."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import procfile
from benchmarks.servers import (
    ServerShape,
    command,
    granian_target,
    option_value,
    shape_of,
    with_option,
)

ROOT = Path(__file__).resolve().parents[2]
BOT = procfile.FACTORY
FLOOR = "benchmarks.floor_app:create_app()"
GUNICORN_LINE = (
    'gunicorn "webhooks.app:create_app()" --bind 0.0.0.0:$PORT --worker-class gthread '
    "--workers ${WEB_CONCURRENCY:-2} --threads 8 --timeout 30"
)
GRANIAN_LINE = (
    'granian --interface wsgi "webhooks.app:create_app" --factory --host 0.0.0.0 --port $PORT '
    "--workers ${WEB_CONCURRENCY:-2} --blocking-threads 16"
)


def test_the_floor_runs_under_the_procfiles_own_command_line():
    argv = procfile.expand(GUNICORN_LINE, {"PORT": "5000"})
    floor = command("gunicorn", argv, BOT, FLOOR, 5000, shape_of(argv))
    assert floor == [
        "gunicorn", FLOOR, "--bind", "0.0.0.0:5000", "--worker-class", "gthread",
        "--workers", "2", "--threads", "8", "--timeout", "30",
    ]  # fmt: skip
    assert command("gunicorn", argv, BOT, BOT, 5000, shape_of(argv)) == argv


def test_workers_come_from_web_concurrency_and_can_be_overridden():
    argv = procfile.expand(GUNICORN_LINE, {"PORT": "5000", "WEB_CONCURRENCY": "3"})
    assert shape_of(argv) == ServerShape(workers=3, threads=8)
    bigger = command("gunicorn", argv, BOT, BOT, 5000, ServerShape(workers=4, threads=32))
    assert (option_value(bigger, "--workers"), option_value(bigger, "--threads")) == ("4", "32")
    assert bigger.count("--threads") == 1


def test_granian_serves_the_same_factory_with_the_same_workers_and_threads():
    argv = procfile.expand(GUNICORN_LINE, {"PORT": "5000"})
    granian = command("granian", argv, BOT, FLOOR, 5001, shape_of(argv))
    assert granian == [
        "granian", "--interface", "wsgi", "benchmarks.floor_app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", "5001", "--workers", "2", "--blocking-threads", "8",
    ]  # fmt: skip


def test_a_procfile_running_granian_is_used_as_is_and_gunicorn_gets_its_equivalent():
    argv = procfile.expand(GRANIAN_LINE, {"PORT": "5000"})
    assert shape_of(argv) == ServerShape(workers=2, threads=16)
    granian = command("granian", argv, BOT, FLOOR, 5000, shape_of(argv))
    assert granian[3] == "benchmarks.floor_app:create_app"
    assert option_value(granian, "--blocking-threads") == "16"
    gunicorn = command("gunicorn", argv, BOT, FLOOR, 5000, shape_of(argv))
    assert gunicorn[:2] == ["gunicorn", FLOOR]
    assert (option_value(gunicorn, "--workers"), option_value(gunicorn, "--threads")) == ("2", "16")
    assert option_value(gunicorn, "--worker-class") == "gthread"


def test_the_committed_procfile_can_serve_the_floor():
    argv = procfile.expand(procfile.web_command(ROOT / "Procfile"), {"PORT": "5000"})
    floor = command(Path(argv[0]).name, argv, BOT, FLOOR, 5000, shape_of(argv))
    assert floor != argv
    assert [w for w in floor if "create_app" not in w] == [w for w in argv if "create_app" not in w]


def test_an_unknown_app_or_server_is_refused():
    argv = ["gunicorn", "other:app", "--workers", "2"]
    with pytest.raises(ValueError):
        command("gunicorn", argv, BOT, FLOOR, 5000, ServerShape(2, 8))
    with pytest.raises(ValueError):
        command("uwsgi", argv, BOT, FLOOR, 5000, ServerShape(2, 8))


def test_options_with_equals_signs():
    argv = ["gunicorn", "x:y()", "--threads=4"]
    assert option_value(argv, "--threads") == "4"
    assert with_option(argv, "--threads", "8") == ["gunicorn", "x:y()", "--threads=8"]
    assert with_option(argv, "--workers", "3") == [*argv, "--workers", "3"]
    assert granian_target("webhooks.app:create_app()") == "webhooks.app:create_app"
