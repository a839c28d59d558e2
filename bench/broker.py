"""Queue throughput: N no-op messages through real `mediaparser worker` processes on the SQLite
broker, against Dramatiq's in-memory StubBroker with the same thread count in the same run.

    .venv/bin/python -m bench.broker [--messages 5000] [--processes 2] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import dramatiq
from dramatiq.brokers.stub import StubBroker

from jobs.brokers.sqlite import SQLiteBroker
from jobs.worker import worker_command

REPO = Path(__file__).resolve().parent.parent


def stub_rate(messages: int, threads: int) -> float:
    broker = StubBroker()
    actor = dramatiq.actor(lambda n: None, broker=broker, actor_name="noop", queue_name="bench")
    for n in range(messages):
        actor.send(n)
    started = time.perf_counter()
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    broker.join("bench")
    elapsed = time.perf_counter() - started
    worker.stop()
    return messages / elapsed


def sqlite_rates(messages: int, processes: int, threads: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        broker = SQLiteBroker(data / "broker.sqlite3")
        broker.declare_queue("bench")
        started = time.perf_counter()
        for n in range(messages):
            broker.enqueue(
                dramatiq.Message(queue_name="bench", actor_name="noop", args=(n,), kwargs={}, options={})
            )
        enqueue_rate = messages / (time.perf_counter() - started)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "MEDIAPARSER_DATA_DIR": str(data),
            "MEDIAPARSER_LOG_LEVEL": "WARNING",
        }
        command = worker_command(processes, threads, ["bench.broker_actors"])
        proc = subprocess.Popen(command, cwd=REPO, env=env)
        try:
            # Time from the first claim, so process start-up is not counted as queue cost.
            while broker.pending("bench") == messages and broker.stats()["running"] == 0:
                time.sleep(0.005)
            started = time.perf_counter()
            while broker.pending("bench"):
                time.sleep(0.01)
            consume_rate = messages / (time.perf_counter() - started)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        return enqueue_rate, consume_rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    enqueue, consume = sqlite_rates(args.messages, args.processes, args.threads)
    baseline = stub_rate(args.messages, args.threads)
    print(f"messages: {args.messages}, worker processes: {args.processes} x {args.threads} threads")
    print(f"sqlite broker enqueue:          {enqueue:8.0f} msg/s")
    print(f"sqlite broker consume (e2e):    {consume:8.0f} msg/s")
    print(f"baseline in-memory StubBroker:  {baseline:8.0f} msg/s (1 process, {args.threads} threads)")
    print(f"ratio sqlite/stub:              {consume / baseline:8.2f}")


if __name__ == "__main__":
    main()
