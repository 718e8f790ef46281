"""GET /healthz: can this instance use Redis and the booking backend right now?"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify

from webhooks.resources import current

log = logging.getLogger(__name__)

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    runtime = current().runtime
    redis_ok = runtime.store.ping()
    try:
        backend_ok = bool(runtime.backend.health())
    except Exception:  # a health check reports, it does not fail
        log.exception("backend health check failed")
        backend_ok = False
    state = {"redis": "ok" if redis_ok else "down", "backend": "ok" if backend_ok else "down"}
    return jsonify(state), 200 if redis_ok and backend_ok else 503
