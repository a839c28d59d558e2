"""The SQLite broker in one process: real SQLite file, real Dramatiq Worker threads."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import dramatiq
import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

from jobs.broker import make_broker, setup_broker, standard_middleware
from jobs.brokers.sqlite import MAX_WORKER_KILLS, SQLiteBroker
from storage.settings import Settings
from tests.polling import wait_for


@pytest.fixture
def broker(tmp_path: Path):
    broker = SQLiteBroker(
        tmp_path / "broker.sqlite3", visibility_timeout=1.0, middleware=standard_middleware()
    )
    yield broker
    broker.close()


@pytest.fixture
def worker(broker):
    workers = []

    def start(threads: int = 2) -> dramatiq.Worker:
        w = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
        w.start()
        workers.append(w)
        return w

    yield start
    for w in workers:
        w.stop(timeout=5000)


def test_every_message_is_processed_once_and_removed(broker, worker):
    seen: list[int] = []
    lock = threading.Lock()

    def collect(n: int) -> None:
        with lock:
            seen.append(n)

    actor = dramatiq.actor(collect, broker=broker, queue_name="work")
    for n in range(100):
        actor.send(n)
    worker(threads=4)
    broker.join("work", timeout=15_000)
    assert sorted(seen) == list(range(100))
    assert broker.stats() == {"ready": 0, "delayed": 0, "running": 0, "dead": 0}


def test_delayed_message_is_stored_with_its_due_time_and_not_delivered_early(broker):
    actor = dramatiq.actor(lambda: None, broker=broker, actor_name="later", queue_name="work")
    sent = time.monotonic()
    actor.send_with_options(delay=800)
    assert broker.stats()["delayed"] == 1
    assert broker.claim("work", 10) == []
    claimed = wait_for(lambda: broker.claim("work", 10), timeout=5)
    assert len(claimed) == 1
    assert time.monotonic() - sent >= 0.75


def test_failures_are_retried_with_backoff_until_success(broker, worker):
    attempts: list[float] = []

    def flaky() -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RuntimeError("temporary")

    actor = dramatiq.actor(
        flaky, broker=broker, queue_name="work", max_retries=5, min_backoff=200, max_backoff=2000
    )
    actor.send()
    worker()
    wait_for(lambda: len(attempts) >= 3 and broker.pending("work") == 0)
    assert len(attempts) == 3
    # Backoff grows: the second wait is at least as long as the minimum and the retries are not instant.
    assert attempts[1] - attempts[0] >= 0.15
    assert attempts[2] - attempts[1] >= 0.15
    assert broker.stats()["dead"] == 0


def test_exhausted_retries_are_dead_lettered_and_kept_visible(broker, worker):
    def broken(path: str) -> None:
        raise ValueError(f"cannot read {path}")

    actor = dramatiq.actor(broken, broker=broker, queue_name="work", max_retries=1, min_backoff=100)
    actor.send("/photos/bad.jpg")
    worker()
    wait_for(lambda: broker.stats()["dead"] == 1)
    assert broker.pending("work") == 0  # not pending any more, but kept in the table...
    [letter] = broker.dead_letters()
    assert letter["actor"] == "broken"
    assert letter["args"] == ["/photos/bad.jpg"]
    assert "cannot read /photos/bad.jpg" in letter["reason"]
    assert broker.claim("work", 10) == []  # ...but are never delivered again


def test_unacked_message_becomes_visible_again_after_the_visibility_timeout(tmp_path):
    path = tmp_path / "broker.sqlite3"
    first = SQLiteBroker(path, visibility_timeout=0.5)
    second = SQLiteBroker(path, visibility_timeout=0.5)
    for b in (first, second):
        b.declare_queue("work")
    first.enqueue(dramatiq.Message(queue_name="work", actor_name="a", args=(), kwargs={}, options={}))
    [(row_id, _)] = first.claim("work", 1)
    assert second.claim("work", 1) == []  # leased: invisible to others
    time.sleep(0.6)
    [(again, _)] = second.claim("work", 1)
    assert again == row_id


def test_running_message_keeps_its_lease_while_the_worker_is_alive(broker, worker):
    runs: list[int] = []

    def slow() -> None:
        runs.append(1)
        time.sleep(2.5)  # longer than the 1 s visibility timeout

    actor = dramatiq.actor(slow, broker=broker, queue_name="work")
    actor.send()
    worker()
    other = SQLiteBroker(broker.path, visibility_timeout=1.0)
    other.declare_queue("work")
    wait_for(lambda: runs)
    stolen = []
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        stolen += other.claim("work", 1)
        time.sleep(0.1)
    assert stolen == []
    broker.join("work", timeout=5000)
    assert runs == [1]


def test_message_that_killed_its_worker_three_times_is_dead_lettered(tmp_path):
    path = tmp_path / "broker.sqlite3"
    broker = SQLiteBroker(path, visibility_timeout=0.2)
    broker.declare_queue("work")
    broker.enqueue(dramatiq.Message(queue_name="work", actor_name="poison", args=(), kwargs={}, options={}))
    for _ in range(MAX_WORKER_KILLS):
        # A fresh broker instance per round plays a new worker process; nobody renews the lease.
        victim = SQLiteBroker(path, visibility_timeout=0.2)
        victim.declare_queue("work")
        assert len(wait_for(lambda v=victim: v.claim("work", 1), timeout=3)) == 1
    time.sleep(0.3)
    assert broker.claim("work", 1) == []
    stats = broker.stats()
    assert stats["dead"] == 1 and stats["ready"] == 0
    assert broker.dead_letters()[0]["reason"] == f"killed its worker {MAX_WORKER_KILLS} times"


def test_closing_hands_held_messages_back_at_once(tmp_path):
    path = tmp_path / "broker.sqlite3"
    broker = SQLiteBroker(path, visibility_timeout=60)
    broker.declare_queue("work")
    for n in range(5):
        broker.enqueue(dramatiq.Message(queue_name="work", actor_name="a", args=(n,), kwargs={}, options={}))
    consumer = broker.consume("work", prefetch=5, timeout=100)
    assert next(consumer) is not None  # one handed out, four buffered: all five leased
    other = SQLiteBroker(path, visibility_timeout=60)
    other.declare_queue("work")
    assert other.claim("work", 10) == []
    consumer.close()
    assert len(other.claim("work", 10)) == 4  # the buffered ones came back without waiting
    broker.close()  # and the one in hand too
    assert len(other.claim("work", 10)) == 1


def test_broker_url_switches_to_redis_or_rabbitmq_without_other_changes(tmp_path):
    assert isinstance(make_broker(Settings(data_dir=tmp_path)), SQLiteBroker)
    assert (tmp_path / "broker.sqlite3").exists()
    redis = make_broker(Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:6390/0"))
    assert isinstance(redis, RedisBroker)
    rabbit = make_broker(Settings(data_dir=tmp_path, broker_url="amqp://guest:guest@127.0.0.1:5699/"))
    assert isinstance(rabbit, RabbitmqBroker)
    with pytest.raises(ValueError, match="MEDIAPARSER_BROKER_URL"):
        make_broker(Settings(data_dir=tmp_path, broker_url="ftp://nowhere"))


def test_actors_declared_before_setup_move_to_the_configured_broker(tmp_path):
    from tests import broker_actors

    broker = setup_broker(Settings(data_dir=tmp_path))
    try:
        assert broker_actors.record.broker is broker
        broker_actors.record.send(str(tmp_path / "r.sqlite3"), 1, 0)
        assert broker.pending("test") == 1
    finally:
        broker.close()
