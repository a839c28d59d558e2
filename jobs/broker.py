"""Which Dramatiq broker the processes talk to, chosen by MEDIAPARSER_BROKER_URL.

Empty (the default): the built-in SQLite broker in the data dir. `redis://...` or `amqp://...`:
Dramatiq's own Redis or RabbitMQ broker, for when a household outgrows one machine. Nothing else
in the code base may assume which one is in use.

Actor modules declare their actors at import time on whatever broker is global then. Importing
this module installs a stub so such imports never try to reach a server; `setup_broker()` then
moves every declared actor onto the configured broker.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware, Retries, default_middleware

from storage import datadir
from storage.settings import Settings

# Retries back off from 2 s to 10 min; a file that fails five times is a bad file, not bad luck.
RETRIES = {"max_retries": 5, "min_backoff": 2_000, "max_backoff": 600_000}

dramatiq.set_broker(StubBroker())


def standard_middleware() -> list[Middleware]:
    return [Retries(**RETRIES) if cls is Retries else cls() for cls in default_middleware]


def broker_kind(url: str) -> str:
    if not url or url.startswith("sqlite:"):
        return "sqlite"
    if url.startswith(("redis://", "rediss://", "unix://")):
        return "redis"
    if url.startswith(("amqp://", "amqps://")):
        return "rabbitmq"
    raise ValueError(f"MEDIAPARSER_BROKER_URL {url!r} is not sqlite:, redis:// or amqp://")


def make_broker(settings: Settings) -> dramatiq.Broker:
    kind = broker_kind(settings.broker_url)
    middleware = standard_middleware()
    if kind == "redis":
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=settings.broker_url, middleware=middleware)
    if kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=settings.broker_url, middleware=middleware)
    from jobs.brokers.sqlite import SQLiteBroker

    url = settings.broker_url
    path = url.removeprefix("sqlite://").removeprefix("sqlite:") if url else datadir.broker_path(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SQLiteBroker(path, visibility_timeout=settings.visibility_timeout, middleware=middleware)


def setup_broker(settings: Settings) -> dramatiq.Broker:
    """Make the configured broker the global one and move already-declared actors onto it."""
    previous = dramatiq.get_broker()
    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    for actor in list(previous.actors.values()):
        actor.broker = broker
        broker.declare_actor(actor)
    return broker


def send(queue_name: str, actor_name: str, *args: object) -> None:
    """Ask for work by actor name, so a process (the web) can send messages without importing the
    analysis code that handles them."""
    broker = dramatiq.get_broker()
    broker.declare_queue(queue_name)
    broker.enqueue(
        dramatiq.Message(queue_name=queue_name, actor_name=actor_name, args=args, kwargs={}, options={})
    )


def describe(broker: dramatiq.Broker) -> str:
    """A short name for pages and logs that does not leak credentials."""
    path = getattr(broker, "path", None)
    return f"sqlite ({path})" if path else type(broker).__name__
