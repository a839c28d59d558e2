"""Actors for the worker-process tests: each run is recorded in a results SQLite file."""

import os
import sqlite3
import time

import dramatiq

import jobs.broker  # noqa: F401  (installs the stub broker before actors are declared)

RESULTS_SCHEMA = "CREATE TABLE IF NOT EXISTS runs (n INTEGER, pid INTEGER, phase TEXT, at REAL)"


def results_connection(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(RESULTS_SCHEMA)
    return conn


@dramatiq.actor(queue_name="test", max_retries=0)
def record(results: str, n: int, seconds: float) -> None:
    conn = results_connection(results)
    conn.execute("INSERT INTO runs VALUES (?, ?, 'start', ?)", (n, os.getpid(), time.time()))
    time.sleep(seconds)
    conn.execute("INSERT INTO runs VALUES (?, ?, 'done', ?)", (n, os.getpid(), time.time()))
    conn.close()
