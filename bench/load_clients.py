"""Browser-like clients for the load benchmark: each one its own cookie jar, logging in and sending
the CSRF token when the app asks for them, browsing the grid and the review queues, polling an
import's progress fragment every second as the job page does, and posting decisions.

Every request is timed from send to the last body byte and filed under one class: "page" (a whole
page or the grid's "Show more" fragment), "progress" (the polled fragment) or "decision" (a POST;
the page its redirect leads to is then loaded as a browser would, and counted as a page).
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx2 as httpx

LOCKED = "database is locked"
CSRF_META = re.compile(r"<meta\s+name=[\"']csrf-token[\"']\s+content=[\"']([^\"']+)[\"']", re.IGNORECASE)
CSRF_FIELD = re.compile(r"name=[\"']csrf_token[\"']\s+value=[\"']([^\"']+)[\"']", re.IGNORECASE)
NEXT_LINK = re.compile(r"href=\"(/library\?[^\"]*)\"\s+rel=\"next\"")
TILE_IDS = re.compile(r"name=\"ids\" value=\"(\d+)\"")
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.IGNORECASE | re.DOTALL)
ACTION = re.compile(r"\baction=\"([^\"]*)\"")
HIDDEN = re.compile(r"<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"")
FLASH = 'class="flash" role="status"'
PLACES = ("Beach", "Rome", "Garden", "Birthday")


@dataclass
class Sample:
    kind: str  # page | progress | decision
    label: str
    ms: float
    status: int | str  # an HTTP status, or the name of a transport error
    locked: bool


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    notes: Counter = field(default_factory=Counter)  # things skipped for want of content, etc.
    unseen: int = 0  # decisions missing from the page their redirect led to


class LoginFailed(RuntimeError):
    pass


class Browser:
    """One person at one browser: a cookie jar, a CSRF token, the last grid page seen."""

    def __init__(self, base_url: str, password: str, import_ids: list[int], rec: Recorder, seed: int) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=60, follow_redirects=False)
        self.password = password
        self.import_ids = import_ids
        self.rec = rec
        self.rng = random.Random(seed)
        self.token: str | None = None
        self.grid_next: str | None = None
        self.grid_ids: list[int] = []
        self.name = f"client{seed}"

    async def close(self) -> None:
        await self.client.aclose()

    # One timed request --------------------------------------------------------------------------

    async def request(
        self, kind: str, label: str, method: str, url: str, *, data: dict | None = None, htmx: str | None = None
    ) -> httpx.Response | None:
        headers = {"Accept": "text/html"}
        if htmx is not None:
            headers.update({"HX-Request": "true", "HX-Target": htmx})
        if method == "POST" and self.token:
            headers["X-CSRF-Token"] = self.token
            data = {**(data or {}), "csrf_token": self.token}
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, data=data, headers=headers)
            body = response.text
            status: int | str = response.status_code
        except httpx.HTTPError as error:
            response, body, status = None, "", type(error).__name__
        ms = (time.perf_counter() - started) * 1000
        self.rec.samples.append(Sample(kind, label, ms, status, LOCKED in body))
        if response is not None and (found := CSRF_META.search(body)):
            self.token = html.unescape(found.group(1))
        return response

    async def page(self, label: str, url: str, htmx: str | None = None) -> str:
        response = await self.request("page", label, "GET", url, htmx=htmx)
        return response.text if response is not None and response.status_code == 200 else ""

    async def decision(self, label: str, url: str, data: dict) -> None:
        response = await self.request("decision", label, "POST", url, data=data)
        if response is not None and response.status_code in (302, 303) and "location" in response.headers:
            location = httpx.URL(response.headers["location"])
            body = await self.page("after " + label, location.raw_path.decode())
            # The page says what was just done (found by done=BATCH); without it, the read that
            # built the page did not see the write that answered a moment before.
            if "done=" in str(location) and body and FLASH not in body:
                # Or the action recorded nothing (untagging an untagged file): a second look tells.
                await asyncio.sleep(0.5)
                again = await self.client.get(location.raw_path.decode(), headers={"Accept": "text/html"})
                if FLASH in again.text:
                    self.rec.unseen += 1
                    self.rec.notes[f"stale after {label}"] += 1

    # Logging in (only when the app has a /login) ------------------------------------------------

    async def login(self) -> None:
        """Log in when the app asks for it; without a /login (an app before the login contract)
        there is nothing to do. Either way the first page's CSRF token (if any) is kept."""
        probe = await self.client.get("/login")
        if probe.status_code == 404 or (probe.is_redirect and "/setup" not in probe.headers["location"]):
            self.token = _token((await self.client.get("/")).text)
            self.rec.notes["no sign-in needed"] += 1
            return
        token = _token(probe.text)
        form = {"password": self.password, **({"csrf_token": token} if token else {})}
        headers = {"X-CSRF-Token": token} if token else {}
        answer = await self.client.post("/login", data=form, headers=headers)
        if answer.status_code >= 400:
            raise LoginFailed(f"POST /login answered {answer.status_code}: {answer.text[:300]}")
        home = await self.client.get("/")
        if home.status_code in (302, 303, 307) and "/login" in home.headers.get("location", ""):
            raise LoginFailed(
                f"still sent to /login after logging in (GET /login {probe.status_code}, token "
                f"{'found' if token else 'missing'}; POST /login {answer.status_code} to "
                f"{answer.headers.get('location')}; cookies {sorted(self.client.cookies.keys())})"
            )
        self.token = _token(home.text) or token
        self.rec.notes["signed in"] += 1

    # Browsing -----------------------------------------------------------------------------------

    async def poll_progress(self, deadline: float) -> None:
        """What the job page does: GET the progress fragment with HX-Request every second."""
        import_id = self.import_ids[-1]
        await asyncio.sleep(self.rng.random())  # pages were opened at different moments
        while time.monotonic() < deadline:
            started = time.monotonic()
            await self.request("progress", "progress", "GET", f"/imports/{import_id}/progress", htmx="progress")
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    async def browse(self, deadline: float, think: float) -> None:
        actions = (
            (30, self.grid),
            (12, self.grid_more),
            (12, self.date_queue),
            (8, self.dup_queue),
            (4, self.file_page),
            (10, self.accept_date),
            (8, self.tag_selection),
            (4, self.discard_selection),
            (2, self.keep_duplicate),
        )
        weights = [w for w, _ in actions]
        while time.monotonic() < deadline:
            [action] = self.rng.choices([a for _, a in actions], weights)
            await action()
            await asyncio.sleep(self.rng.uniform(0, 2 * think))

    def grid_url(self) -> str:
        choices = [
            {},
            {"sort": "name"},
            {"sort": "size", "order": "desc"},
            {"sort": "imported", "order": "desc"},
            {"problem": "dates"},
            {"problem": "exact"},
            {"confidence": "high"},
            {"import": self.rng.choice(self.import_ids)},
            {"tag": self.rng.choice(PLACES)},
            {"q": f"IMG_0{self.rng.randrange(10, 99)}"},
            {"from": f"{self.rng.randrange(2012, 2014)}-0{self.rng.randrange(1, 9)}-01", "to": "2014-12-31"},
            {"type": "image", "sort": "date", "order": "desc"},
        ]
        query = self.rng.choice(choices)
        return "/library" + (f"?{urlencode(query)}" if query else "")

    async def grid(self, url: str | None = None, htmx: str | None = None) -> str:
        body = await self.page("grid" if htmx is None else "grid more", url or self.grid_url(), htmx=htmx)
        found = NEXT_LINK.search(body)
        self.grid_next = html.unescape(found.group(1)) if found else None
        ids = [int(i) for i in TILE_IDS.findall(body)]
        if ids:
            self.grid_ids = ids
        return body

    async def grid_more(self) -> None:
        """The next keyset page, as "Show more" (HTMX fragment) or as the link's whole page."""
        if self.grid_next is None:
            await self.grid()
        if self.grid_next is None:
            self.rec.notes["no next link"] += 1
            return
        htmx = "more-tiles" if self.rng.random() < 0.5 else None
        await self.grid(self.grid_next, htmx=htmx)

    async def date_queue(self) -> str:
        if self.rng.random() < 0.5:
            return await self.page("dates", "/review/dates")
        # A file further down the queue, picked from its grid page, as a person scrolling would.
        await self.grid("/library?problem=dates&sort=imported")
        if not self.grid_ids:
            return await self.page("dates", "/review/dates")
        return await self.page("dates", f"/review/dates?file={self.rng.choice(self.grid_ids)}")

    async def dup_queue(self) -> str:
        kind = self.rng.choice(("exact", "exact", "same", "similar"))
        return await self.page("duplicates", f"/review/duplicates?class={kind}")

    async def file_page(self) -> None:
        if not self.grid_ids:
            await self.grid()
        if self.grid_ids:
            await self.page("file", f"/files/{self.rng.choice(self.grid_ids)}")

    async def accept_date(self) -> None:
        body = await self.date_queue()
        forms = post_forms(body, "/review/dates/", "accept") or post_forms(body, "/review/dates/", "accept_current")
        if not forms:
            self.rec.notes["date queue empty"] += 1
            return
        await self.decision("accept date", *self.rng.choice(forms))

    async def _selection(self, action: str, extra: dict) -> None:
        back = self.grid_url()
        await self.grid(back)
        if not self.grid_ids:
            self.rec.notes["grid empty"] += 1
            return
        ids = self.rng.sample(self.grid_ids, min(len(self.grid_ids), self.rng.randrange(1, 4)))
        data = {"action": action, "back": back, "filter": "", "ids": [str(i) for i in ids], **extra}
        await self.decision(action, "/selection", data)

    async def tag_selection(self) -> None:
        if self.rng.random() < 0.75:
            await self._selection("tag", {"tag": f"picked by {self.name}"})
        else:
            await self._selection("untag", {"tag": f"picked by {self.name}"})

    async def discard_selection(self) -> None:
        await self._selection("discard" if self.rng.random() < 0.6 else "undiscard", {})

    async def keep_duplicate(self) -> None:
        body = await self.page("duplicates", "/review/duplicates?class=exact")
        forms = post_forms(body, "/review/duplicates/", "keep")
        if not forms:
            self.rec.notes["no open exact group"] += 1
            return
        await self.decision("keep duplicate", *forms[0])


def post_forms(body: str, path_prefix: str, action: str) -> list[tuple[str, dict[str, str]]]:
    """(action URL, hidden fields) of the page's POST forms to `path_prefix...` doing `action`."""
    found = []
    for attributes, inner in FORM.findall(body):
        target = ACTION.search(attributes)
        if "post" not in attributes.lower() or not target:
            continue
        url = html.unescape(target.group(1))
        fields = {name: html.unescape(value) for name, value in HIDDEN.findall(inner)}
        if url.startswith(path_prefix) and fields.get("action") == action:
            fields.pop("csrf_token", None)  # sent fresh with every POST
            found.append((url, fields))
    return found


def _token(text: str) -> str | None:
    found = CSRF_META.search(text) or CSRF_FIELD.search(text)
    return html.unescape(found.group(1)) if found else None


async def run_clients(
    base_url: str, password: str, import_ids: list[int], clients: int, seconds: float, think: float
) -> Recorder:
    """`clients` browsers for `seconds`: each polls progress and browses at once, like a person
    with the import's page open in one tab and the grid in another."""
    rec = Recorder()
    browsers = [Browser(base_url, password, import_ids, rec, seed) for seed in range(clients)]
    try:
        await asyncio.gather(*(b.login() for b in browsers))
        deadline = time.monotonic() + seconds
        tasks = [b.poll_progress(deadline) for b in browsers] + [b.browse(deadline, think) for b in browsers]
        await asyncio.gather(*tasks)
    finally:
        await asyncio.gather(*(b.close() for b in browsers), return_exceptions=True)
    return rec


async def post_once(base_url: str, password: str, url: str) -> int:
    """One POST as a signed-in person (a job control button); returns its status."""
    browser = Browser(base_url, password, [], Recorder(), seed=-1)
    try:
        await browser.login()
        response = await browser.request("decision", "control", "POST", url)
        return response.status_code if response is not None else 0
    finally:
        await browser.close()
