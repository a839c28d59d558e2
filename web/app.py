"""The Starlette application: `create_app(settings)` wires settings, database and routes together."""

from __future__ import annotations

import contextlib
import importlib
import logging
import secrets
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from jobs.broker import setup_broker
from storage import credentials
from storage.datadir import ensure_data_dir, uploads_dir
from storage.db import connect_async, open_database
from storage.settings import Settings, is_loopback
from web.guard import Guard
from web.responses import http_error
from web.routes import routes
from web.uploads import sweep_partials

log = logging.getLogger(__name__)


class UnsafeSettings(ValueError):
    """Settings that would open the library to anyone: the sentence says which and what to do."""


def check_access_settings(settings: Settings) -> None:
    if not settings.auth and not is_loopback(settings.host):
        raise UnsafeSettings(
            f"MEDIAPARSER_AUTH=off is allowed only when MediaParser listens on this machine alone "
            f"(MEDIAPARSER_HOST=127.0.0.1), not on {settings.host}: anyone on the network could open "
            "your photos. Remove MEDIAPARSER_AUTH=off, or bind to 127.0.0.1."
        )


def prepare_access(app: Starlette, settings: Settings) -> None:
    """Load the signing key, adopt MEDIAPARSER_PASSWORD, and say how to get in."""
    conn = open_database(settings.database_path)
    try:
        if settings.password:
            if credentials.password_problem(settings.password):
                raise UnsafeSettings("MEDIAPARSER_PASSWORD: " + str(credentials.password_problem(settings.password)))
            if credentials.adopt_password(conn, settings.password):
                log.warning("The password was set from MEDIAPARSER_PASSWORD; every browser must sign in again.")
        row = credentials.access_row(conn)
    finally:
        conn.close()
    app.state.secret_key = row["secret_key"]
    app.state.login_failures = {}
    app.state.setup_code = secrets.token_hex(4)
    if not settings.auth:
        log.warning(
            "Sign-in is OFF (MEDIAPARSER_AUTH=off): anyone who can open http://%s:%s/ on this machine "
            "can see and change the library.",
            settings.host,
            settings.port,
        )
    elif row["password_hash"] is None:
        log.warning(
            "No password is set yet. Open MediaParser in a browser to choose one; from another device it "
            "asks for this set-up code: %s (or set MEDIAPARSER_PASSWORD).",
            app.state.setup_code,
        )


def create_app(settings: Settings) -> Starlette:
    check_access_settings(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ensure_data_dir(settings)
        # Migrate on a short-lived sync connection before serving, so no page ever sees an old
        # schema; `migrate` is safe to race with workers starting at the same moment.
        prepare_access(app, settings)
        # Files a killed web process was receiving: no upload is in flight before we serve.
        await run_in_threadpool(sweep_partials, uploads_dir(settings))
        # The web only sends messages (a scan to start, analysis to resume); workers run them.
        # Importing the actor module declares its actors, which setup_broker then moves onto the
        # configured broker, so `scan_import.send()` reaches the workers' queue.
        importlib.import_module("jobs.imports")
        broker = setup_broker(settings)
        # Pages read through one long-lived connection; writes go through web/writes.py.
        app.state.read_db = await connect_async(settings.database_path)
        try:
            yield
        finally:
            await app.state.read_db.close()
            broker.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(Guard)],
        exception_handlers={HTTPException: http_error},
    )
    app.state.settings = settings
    return app
