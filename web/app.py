"""The Starlette application: `create_app(settings)` wires settings, database and routes together."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from jobs.broker import setup_broker
from storage.datadir import ensure_data_dir
from storage.db import connect_async, open_database
from storage.settings import Settings
from web.responses import http_error
from web.routes import routes


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ensure_data_dir(settings)
        # Migrate on a short-lived sync connection before serving, so no page ever sees an old
        # schema; `migrate` is safe to race with workers starting at the same moment.
        open_database(settings.database_path).close()
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

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error})
    app.state.settings = settings
    return app
