"""What the load benchmark prints: per request class and per request, the targets, and a verdict."""

from __future__ import annotations

import statistics
from collections import Counter

from bench.load_clients import LOCKED, Recorder, Sample

TARGETS_MS = {"page": 100.0, "progress": 20.0}
CLASSES = ("page", "progress", "decision")


def pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def is_error(s: Sample) -> bool:
    return not isinstance(s.status, int) or s.status >= 400


def report_requests(rec: Recorder, seconds: float) -> dict[str, dict]:
    print(f"\n{'class':<10} {'count':>6} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}"
          f" {'errors':>6} {'5xx':>4} {'locked':>6}")
    summary = {}
    for kind in CLASSES:
        samples = [s for s in rec.samples if s.kind == kind]
        times = [s.ms for s in samples]
        row = {
            "count": len(samples),
            "p50": pct(times, 50), "p95": pct(times, 95), "p99": pct(times, 99),
            "max": max(times, default=float("nan")),
            "errors": sum(is_error(s) for s in samples),
            "5xx": sum(isinstance(s.status, int) and s.status >= 500 for s in samples),
            "locked": sum(s.locked for s in samples),
        }
        summary[kind] = row
        print(f"{kind:<10} {row['count']:>6} {row['count'] / seconds:>6.1f} {row['p50']:>7.1f} {row['p95']:>7.1f}"
              f" {row['p99']:>7.1f} {row['max']:>7.1f} {row['errors']:>6} {row['5xx']:>4} {row['locked']:>6}")
    print("\nby request (ms):")
    for label in sorted({s.label for s in rec.samples}):
        samples = [s for s in rec.samples if s.label == label]
        times = [s.ms for s in samples]
        statuses = Counter(s.status for s in samples)
        print(f"  {label:<22} {len(samples):>6}  p50 {pct(times, 50):7.1f}  p95 {pct(times, 95):7.1f}"
              f"  p99 {pct(times, 99):7.1f}  max {max(times):7.1f}   "
              + " ".join(f"{code}x{n}" for code, n in sorted(statuses.items(), key=str)))
    if rec.notes:
        print("  notes: " + ", ".join(f"{k} x{n}" for k, n in rec.notes.items()))
    return summary


def judge(summary: dict[str, dict], rec_unseen: int, log_locked: int, log_errors: int) -> list[str]:
    """The targets missed under load (empty: all met)."""
    missed = []
    for kind in CLASSES:
        row = summary[kind]
        if not row["count"]:
            missed.append(f"no {kind} request was made")
        if row["5xx"] or row["locked"]:
            missed.append(f"{kind}: {row['5xx']} 5xx, {row['locked']} 'database is locked' answers")
    for kind, target in TARGETS_MS.items():
        if summary[kind]["p95"] >= target:
            missed.append(f"{kind} p95 {summary[kind]['p95']:.1f} ms >= {target:.0f} ms")
    if rec_unseen:
        missed.append(f"{rec_unseen} decisions were missing from the page their redirect led to (stale reads)")
    if log_locked:
        missed.append(f"{log_locked} log lines say '{LOCKED}'")
    if log_errors:
        missed.append(f"{log_errors} tracebacks in the server/worker logs")
    return missed


def compact(rec: Recorder) -> str:
    parts = []
    for kind in CLASSES:
        samples = [s for s in rec.samples if s.kind == kind]
        times = [s.ms for s in samples]
        bad = sum(is_error(s) or s.locked for s in samples)
        errors = f" ({bad} errors)" if bad else ""
        parts.append(f"{kind} p50 {pct(times, 50):.1f} p95 {pct(times, 95):.1f} ms{errors}")
    return "; ".join(parts)


def report(windows: dict, logs: str) -> list[str]:
    """Print everything measured; return the targets missed."""
    load = windows["load"]
    summary = report_requests(load.rec, load.seconds)
    paused = windows.get("paused")
    if paused is not None:
        print(f"\nthe same clients with the import paused ({paused.seconds:.0f} s, no analysis): {compact(paused.rec)}")
    before, after = windows["idle before"].rate, windows["idle after"].rate
    idle = (before + after) / 2
    ratio = load.rate / idle if idle else float("nan")
    print(f"\nanalysis (workers): idle {idle:.1f} files/s (before {before:.1f}, after {after:.1f}),"
          f" under load {load.rate:.1f} files/s; ratio load/idle {ratio:.2f}")
    print("largest WAL (MiB): " + ", ".join(f"{name} {w.wal_mb:.1f}" for name, w in windows.items()))
    print("CPU, share of one core: " + "; ".join(
        f"{name}: " + ", ".join(f"{who} {100 * share:.0f}%" for who, share in w.cpu.items())
        for name, w in windows.items()))
    unseen = load.rec.unseen + (paused.rec.unseen if paused is not None else 0)
    print(f"decisions not shown on the page after them (stale reads): {unseen}")
    log_locked = sum(LOCKED in line for line in logs.splitlines())
    log_errors = logs.count("Traceback")
    print(f"log lines with '{LOCKED}': {log_locked}, tracebacks: {log_errors}")
    if log_errors or log_locked:
        print("last log lines:\n" + "\n".join(logs.splitlines()[-40:]))
    missed = judge(summary, unseen, log_locked, log_errors)
    if paused is not None:
        bad = [s for s in paused.rec.samples if s.locked or (isinstance(s.status, int) and s.status >= 500)]
        if bad:
            missed.append(f"{len(bad)} 5xx or 'database is locked' answers with the import paused")
    return missed
