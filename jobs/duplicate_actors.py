"""Grouping duplicates in the background, after each import, from stored hashes."""

from __future__ import annotations

import logging
import time

import dramatiq

import jobs.broker  # noqa: F401  (installs the stub broker before the actor below is declared)
from jobs import runtime
from jobs.duplicates import regroup

QUEUE = "maintenance"
REGROUP_ACTOR = "regroup_library"

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name=REGROUP_ACTOR, queue_name=QUEUE, max_retries=3)
def regroup_library() -> None:
    started = time.perf_counter()
    counts = regroup(runtime.db())
    log.info("Duplicate groups: %s (%.2f s).", counts, time.perf_counter() - started)
