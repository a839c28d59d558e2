"""A no-op actor for the broker benchmark: measures the queue, not the work."""

import dramatiq

import jobs.broker  # noqa: F401  (installs the stub broker before actors are declared)


@dramatiq.actor(queue_name="bench", max_retries=0)
def noop(n: int) -> None:
    pass
