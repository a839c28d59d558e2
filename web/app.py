"""The Starlette application: `create_app(settings)` wires settings, database and routes together."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from storage.datadir import ensure_data_dir
from storage.db import connect_async, open_database
from storage.settings import Settings
from web.routes import routes


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ensure_data_dir(settings)
        # Migrate on a short-lived sync connection before serving, so no page ever sees an old
        # schema; `migrate` is safe to race with workers starting at the same moment.
        open_database(settings.database_path).close()
        # Pages read through one long-lived connection; writes will get their own path.
        app.state.read_db = await connect_async(settings.database_path)
        try:
            yield
        finally:
            await app.state.read_db.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.settings = settings
    return app
