"""Review pages under load of data: the grid and the review queues over a 100,000-file library, rendered
by a real `mediaparser serve` (uvicorn) and fetched with a real HTTP client, against a static file and
/api/health from the same server in the same run.

    .venv/bin/python -m bench.review_pages [--files 100000] [--requests 200] [--data-dir DIR] [--explain]
        [--only /review ...]

Seeds a fresh library (bench/library_seed.py) unless --data-dir already holds one, starts the server
on a free loopback port, then fetches each URL sequentially over one keep-alive connection: a
warm-up, then --requests timed requests (send to last body byte). Prints status codes, p50/p95/p99/max
and p95 as a multiple of the baselines' p95. Target: every grid and queue page answers 200 with
p95 under 50 ms; exits 1 when one does not.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx2 as httpx

from bench.library_seed import fresh_database, seed_library
from storage.settings import Settings

PASSWORD = "benchmark passphrase"

REPO = Path(__file__).resolve().parent.parent
TARGET_MS = 50.0
BASELINES = ("/static/style.css", "/api/health")
# <a ... rel="next" ... href="..."> or <link href=... rel=next>, attributes in either order.
NEXT_LINK = re.compile(r"<(?:a|link)\b[^>]*\brel=[\"']?next\b[^>]*>", re.IGNORECASE)
HREF = re.compile(r"\bhref=(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)


@dataclass
class Result:
    label: str
    url: str
    statuses: Counter = field(default_factory=Counter)
    times_ms: list[float] = field(default_factory=list)
    size: int = 0
    note: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.times_ms) and set(self.statuses) == {200}

    def pct(self, p: int) -> float:
        if len(self.times_ms) < 2:
            return self.times_ms[0] if self.times_ms else float("nan")
        return statistics.quantiles(self.times_ms, n=100, method="inclusive")[p - 1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def picks(db_path: Path) -> dict[str, object]:
    """Real values for the URLs: tags, a file in the date queue, a file, an import."""
    conn = sqlite3.connect(db_path)
    try:
        one = lambda sql: (conn.execute(sql).fetchone() or (None,))[0]  # noqa: E731
        tag_counts = (
            "SELECT t.name, count(*) AS n FROM file_tags ft JOIN tags t ON t.id = ft.tag_id GROUP BY t.id"
        )
        queue = (
            "SELECT id FROM files WHERE status = 'processed' AND discarded = 0"
            " AND (confidence IN ('low', 'none') OR conflict = 1) ORDER BY id"
        )
        queue_ids = [row[0] for row in conn.execute(queue)]
        return {
            "files": one("SELECT count(*) FROM files"),
            "popular_tag": one(f"SELECT name FROM ({tag_counts}) ORDER BY n DESC LIMIT 1"),
            "rare_tag": one(f"SELECT name FROM ({tag_counts}) ORDER BY n ASC LIMIT 1"),
            "queue_size": len(queue_ids),
            # From the middle of the queue: the page must find its place, not just take the first row.
            "queue_file": queue_ids[len(queue_ids) // 2] if queue_ids else None,
            "file": one(
                "SELECT id FROM files WHERE status = 'processed' ORDER BY id LIMIT 1"
                " OFFSET (SELECT count(*) / 2 FROM files WHERE status = 'processed')"
            ),
            "import": one("SELECT id FROM imports ORDER BY id LIMIT 1 OFFSET 1") or 1,
        }
    finally:
        conn.close()


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MEDIAPARSER_DATA_DIR": str(data_dir),
        # WARNING keeps uvicorn's per-request access log out of the measurement.
        "MEDIAPARSER_LOG_LEVEL": "WARNING",
        # Measured signed in, as people use it: each request pays the session check.
        "MEDIAPARSER_PASSWORD": PASSWORD,
    }
    command = [sys.executable, "-m", "mediaparser", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def sign_in(client: httpx.Client) -> bool:
    page = client.get("/login")
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    if page.status_code != 200 or not token:
        return False
    client.post("/login", data={"password": PASSWORD, "csrf_token": token.group(1)})
    return client.get("/api/health").status_code == 200


def wait_healthy(client: httpx.Client, server: subprocess.Popen, log: Path, timeout: float = 60) -> float:
    """Seconds until the server answered and this client is signed in."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if sign_in(client):
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"no healthy server after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def follow_next(client: httpx.Client, pages: int) -> tuple[str | None, str]:
    """The grid URL `pages` keyset pages deep, found as a person would: by following "next".

    Reads `next` from the JSON twin when it answers, otherwise rel="next" in the HTML page.
    Returns (url or None, how it got there)."""
    url, how, depth = "/library", "", 0
    while depth < pages:
        following = _next_from_json(client, url) or _next_from_html(client, url)
        if following is None:
            break
        url, how = following
        depth += 1
    if depth == 0:
        return None, 'no next link on /library (neither `next` in /api/library nor rel="next" in HTML)'
    note = f"{depth} pages deep via {how}" + ("" if depth == pages else f" (the last page; asked {pages})")
    return url, note


def _next_from_json(client: httpx.Client, page_url: str) -> tuple[str, str] | None:
    parts = urlsplit(page_url)
    try:
        response = client.get("/api" + parts.path + (f"?{parts.query}" if parts.query else ""))
        data = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    for key in ("next", "next_url", "next_after", "after"):
        value = data.get(key)
        if isinstance(value, str) and value:
            if value.startswith(("/", "http")):
                target = urlsplit(value)
                path = target.path.removeprefix("/api")
                return path + (f"?{target.query}" if target.query else ""), f"/api/library `{key}`"
            return "/library?" + urlencode({"after": value}), f"/api/library `{key}` (a cursor)"
    return None


def _next_from_html(client: httpx.Client, page_url: str) -> tuple[str, str] | None:
    try:
        response = client.get(page_url)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    for tag in NEXT_LINK.findall(response.text):
        if match := HREF.search(tag):
            href = html.unescape(next(g for g in match.groups() if g is not None))
            target = urlsplit(href)
            return (target.path or "/library") + (
                f"?{target.query}" if target.query else ""
            ), 'rel="next" in HTML'
    return None


def measure(client: httpx.Client, label: str, url: str, requests: int, warmup: int) -> Result:
    result = Result(label, url)
    for k in range(warmup + requests):
        started = time.perf_counter()
        try:
            response = client.get(url)
            body = response.content
            status: int | str = response.status_code
        except httpx.HTTPError as error:
            body, status = b"", type(error).__name__
        elapsed = (time.perf_counter() - started) * 1000
        if k >= warmup:
            result.statuses[status] += 1
            result.times_ms.append(elapsed)
            result.size = len(body)
    return result


def urls(info: dict[str, object], deep: str | None, deep_note: str) -> list[tuple[str, str | None, str]]:
    """(label, url, note); only the deep page's url may be None (no "next" link to follow).
    Grid and queue pages are the ones judged."""
    return [
        ("grid", "/library", ""),
        ("grid", "/library?sort=name", ""),
        ("grid", "/library?sort=size&order=desc", ""),
        ("grid", "/library?problem=dates", ""),
        ("grid", f"/library?confidence=low&import={info['import']}", ""),
        ("grid", "/library?" + urlencode({"tag": info["popular_tag"]}), "most used tag"),
        ("grid", "/library?" + urlencode({"tag": info["rare_tag"]}), "least used tag"),
        ("grid", "/library?from=2015-01-01&to=2015-12-31", ""),
        ("grid", "/library?q=IMG_12", ""),
        ("grid", deep, deep_note),
        ("queue", "/review/dates", ""),
        ("queue", f"/review/dates?file={info['queue_file']}", "a file mid-queue"),
        ("queue", "/review/duplicates?class=exact", ""),
        ("queue", "/review/duplicates?class=same", ""),
        ("file", f"/files/{info['file']}", ""),
        ("baseline", BASELINES[0], ""),
        ("baseline", BASELINES[1], ""),
    ]


def explain(db_path: Path, grid_urls: list[str]) -> None:
    """EXPLAIN QUERY PLAN of each grid URL's page query, through storage/library.py."""
    try:
        from storage.library import page_sql, parse_view
    except ImportError as error:
        print(f"--explain: storage.library is not importable ({error})")
        return
    conn = sqlite3.connect(db_path)
    try:
        for url in grid_urls:
            try:
                sql, params = page_sql(parse_view(dict(parse_qsl(urlsplit(url).query))))
                plan = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            except Exception as error:  # noqa: BLE001 - a report, not a test: show and go on
                print(f"\n{url}: {type(error).__name__}: {error}")
                continue
            print(f"\n{url}")
            for row in plan:
                print(f"  {row[3]}")
    finally:
        conn.close()


def status_text(result: Result) -> str:
    return " ".join(
        f"{code}x{n}" if len(result.statuses) > 1 else str(code) for code, n in result.statuses.items()
    )


def report(results: list[Result], target: float) -> bool:
    base = {r.url: r.pct(95) for r in results if r.label == "baseline" and r.ok}
    static_p95, health_p95 = base.get(BASELINES[0]), base.get(BASELINES[1])
    width = max(len(r.url) for r in results)
    print(
        f"\n{'url'.ljust(width)}  {'status':>8}  {'bytes':>8}  {'p50':>7}  {'p95':>7}  {'p99':>7}  {'max':>7}"
        f"  {'p95/static':>10}  {'p95/health':>10}"
    )
    for r in results:
        if not r.times_ms:
            print(f"{r.url.ljust(width)}  {'-':>8}  skipped: {r.note}")
            continue
        ratios = [f"{r.pct(95) / b:9.1f}x" if b else f"{'-':>10}" for b in (static_p95, health_p95)]
        flag = "" if r.ok else "   <- NOT 200"
        print(
            f"{r.url.ljust(width)}  {status_text(r):>8}  {r.size:>8}  {r.pct(50):7.2f}  {r.pct(95):7.2f}"
            f"  {r.pct(99):7.2f}  {max(r.times_ms):7.2f}  {ratios[0]}  {ratios[1]}{flag}"
            + (f"   ({r.note})" if r.note else "")
        )
    judged = [r for r in results if r.label in ("grid", "queue")]
    failed = []
    for r in judged:
        if not r.times_ms:
            failed.append(f"{r.url}: not measured ({r.note})")
        elif not r.ok:
            failed.append(f"{r.url}: status {status_text(r)}")
        elif r.pct(95) >= target:
            failed.append(f"{r.url}: p95 {r.pct(95):.1f} ms")
    passed = not failed
    answered = [r.pct(95) for r in judged if r.ok]
    worst = f"worst p95 of the 200 pages {max(answered):.1f} ms" if answered else "none answered 200"
    print(
        f"\n{'PASS' if passed else 'FAIL'}: grid and queue pages p95 < {target:.0f} ms "
        f"({len(judged) - len(failed)}/{len(judged)} ok; {worst})"
    )
    for line in failed:
        print(f"  - {line}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per URL")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per URL first")
    parser.add_argument("--deep", type=int, default=50, help="grid pages to follow for the deep page")
    parser.add_argument("--data-dir", type=Path, help="keep the library here (reused if it has files)")
    parser.add_argument("--reseed", action="store_true", help="rebuild the library in --data-dir")
    parser.add_argument("--evidence-files", type=int, default=20_000)
    parser.add_argument("--target-ms", type=float, default=TARGET_MS)
    parser.add_argument("--explain", action="store_true", help="print the grid queries' plans")
    parser.add_argument(
        "--only", action="append", default=[], metavar="TEXT", help="only URLs containing TEXT (repeatable)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mp-bench-") as tmp:
        data_dir = (args.data_dir or Path(tmp) / "data").resolve()
        db_path = Settings(data_dir=data_dir).database_path
        existing = picks(db_path)["files"] if db_path.exists() and not args.reseed else 0
        if existing:
            print(f"reusing {db_path} with {existing:,} files (--reseed to rebuild it)")
        else:
            print(f"seeding {args.files:,} files into {db_path} ...", flush=True)
            seeded = seed_library(fresh_database(data_dir), args.files, args.evidence_files)
            print(
                f"seeded in {seeded.seconds:.1f} s: "
                + ", ".join(f"{k} {v:,}" for k, v in seeded.counts.items())
            )
        info = picks(db_path)
        print(
            f"library: {info['files']:,} files, {info['queue_size']:,} in the date queue; tags "
            f"{info['popular_tag']!r} (most used), {info['rare_tag']!r} (least); file {info['file']}, "
            f"queue file {info['queue_file']}"
        )

        port, log = free_port(), Path(tmp) / "server.log"
        server = start_server(data_dir, port, log)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                ready = wait_healthy(client, server, log)
                print(
                    f"server up on port {port} after {ready:.1f} s; {args.warmup} warm-up + "
                    f"{args.requests} timed requests per URL, one at a time",
                    flush=True,
                )
                wanted = lambda url: not args.only or any(t in url for t in args.only)  # noqa: E731
                deep, deep_note = follow_next(client, args.deep) if wanted("/library") else ("", "")
                results = []
                for label, url, note in urls(info, deep, deep_note):
                    if label != "baseline" and url is not None and not wanted(url):
                        continue
                    if url is None:
                        results.append(Result(label, "(deep page)", note=note))
                        continue
                    result = measure(client, label, url, args.requests, args.warmup)
                    result.note = note
                    results.append(result)
                    print(f"  {url}: {status_text(result)}, p95 {result.pct(95):.2f} ms", flush=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        passed = report(results, args.target_ms)
        if any(code for r in results for code in r.statuses if not isinstance(code, int) or code >= 500):
            print(f"\nserver log (last lines), for the 5xx / errors above:\n{log.read_text()[-4000:]}")
        if args.explain:
            explain(db_path, [r.url for r in results if r.label == "grid" and r.url.startswith("/library")])
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
