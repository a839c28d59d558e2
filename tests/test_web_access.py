"""Access control through the real app: the password chosen at first start, sign-in and out, the
attempt limit, CSRF on every state-changing request, the security headers, and escaping."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from storage import credentials
from storage.db import open_database
from storage.settings import Settings
from tests.review_fixtures import add_file, build
from web.app import UnsafeSettings, create_app

PASSWORD = "correct horse battery staple"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def auth_settings(web_settings: Settings) -> Settings:
    return replace(web_settings, auth=True)


@pytest.fixture
def make_client(auth_settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """Clients of one app (one data dir), each its own browser: own cookies, own address."""
    opened: list[TestClient] = []

    def make(address: str = "192.168.1.20", settings: Settings = auth_settings) -> TestClient:
        client = TestClient(create_app(settings), client=(address, 50000), follow_redirects=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def token_of(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def form_post(client: TestClient, url: str, data: dict[str, Any], page: str = "/login") -> Any:
    """Post a form the way a browser does: the token comes from a page this client loaded."""
    token = token_of(client.get(page, follow_redirects=True).text)
    return client.post(url, data={**data, "csrf_token": token})


def set_password(settings: Settings, password: str = PASSWORD) -> None:
    conn = open_database(settings.database_path)
    try:
        credentials.set_password(conn, password)
    finally:
        conn.close()


def signed_in(make_client: Callable[..., TestClient], settings: Settings) -> TestClient:
    client = make_client()
    set_password(settings)
    response = form_post(client, "/login", {"password": PASSWORD, "next": "/library"})
    assert response.status_code == 303 and response.headers["location"] == "/library"
    return client


# First start -------------------------------------------------------------------------------------


def test_a_new_library_asks_for_a_password_first_and_shows_nothing_else(make_client, auth_settings) -> None:
    client = make_client()
    home = client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/setup"
    assert client.get("/library?page=2").headers["location"] == "/setup"
    api = client.get("/api/library")
    assert api.status_code == 401 and api.json()["login"] == "/setup"
    fragment = client.get("/imports/1/progress", headers={"HX-Request": "true"})
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/setup"
    # The stylesheet and scripts are public, so the sign-in page looks right.
    assert client.get("/static/style.css").status_code == 200
    setup = client.get("/setup")
    assert "Set-up code" in setup.text and 'href="/library"' not in setup.text


def test_from_another_device_the_first_password_needs_the_code_printed_at_start(
    make_client, auth_settings, caplog
) -> None:
    client = make_client()
    code = re.search(r"set-up code: (\w+)", caplog.text).group(1)
    wrong = form_post(client, "/setup", {"code": "nope", "password": PASSWORD, "repeat": PASSWORD}, "/setup")
    assert wrong.status_code == 400 and "set-up code is not right" in wrong.text
    short = form_post(client, "/setup", {"code": code, "password": "short", "repeat": "short"}, "/setup")
    assert short.status_code == 400 and "at least 8 characters" in short.text
    # Guessing the code is limited like guessing a password (same app, another address).
    guesser = TestClient(client.app, client=("10.9.9.9", 1), follow_redirects=False)
    for _ in range(5):
        form_post(guesser, "/setup", {"code": "0000", "password": PASSWORD, "repeat": PASSWORD}, "/setup")
    limited = form_post(guesser, "/setup", {"code": code, "password": PASSWORD, "repeat": PASSWORD}, "/setup")
    assert "Too many wrong set-up codes" in limited.text
    done = form_post(client, "/setup", {"code": code, "password": PASSWORD, "repeat": PASSWORD}, "/setup")
    assert done.status_code == 303 and done.headers["location"] == "/"
    cookie = next(v for k, v in done.headers.multi_items() if k == "set-cookie" and "session" in v)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200
    # Only a slow hash is stored: not the password, not even in the file's free pages.
    assert PASSWORD.encode() not in auth_settings.database_path.read_bytes()
    conn = sqlite3.connect(auth_settings.database_path)
    (stored,) = conn.execute("SELECT password_hash FROM access").fetchone()
    conn.close()
    assert stored.startswith("scrypt$") and credentials.verify_password(PASSWORD, stored)
    # Chosen once: the set-up page is gone for everyone else.
    other = make_client()
    assert other.get("/setup").headers["location"] == "/"
    assert other.get("/").headers["location"] == "/login"


def test_on_the_server_itself_no_code_is_needed(make_client) -> None:
    client = make_client(address="127.0.0.1")
    page = client.get("/setup")
    assert "Set-up code" not in page.text
    done = form_post(client, "/setup", {"password": PASSWORD, "repeat": PASSWORD}, "/setup")
    assert done.status_code == 303 and client.get("/library").status_code == 200


# Signing in and out ------------------------------------------------------------------------------


def test_sign_in_returns_to_the_page_asked_for_and_sign_out_ends_the_session(make_client, auth_settings) -> None:
    client = make_client()
    set_password(auth_settings)
    asked = client.get("/review/dates?confidence=low")
    assert asked.headers["location"] == "/login?next=%2Freview%2Fdates%3Fconfidence%3Dlow"
    page = client.get(asked.headers["location"])
    assert 'value="/review/dates?confidence=low"' in page.text
    wrong = form_post(client, "/login", {"password": "guess", "next": "/"})
    assert wrong.status_code == 200 and "not right" in wrong.text
    assert "mediaparser_session" not in client.cookies
    response = form_post(client, "/login", {"password": PASSWORD, "next": "/review/dates?confidence=low"})
    assert response.headers["location"] == "/review/dates?confidence=low"
    assert client.get("/review/dates?confidence=low").status_code == 200
    assert client.get("/login?next=/library").headers["location"] == "/library"
    # Another site's address as `next` is not followed.
    client2 = make_client()
    away = form_post(client2, "/login", {"password": PASSWORD, "next": "//evil.example/x"})
    assert away.headers["location"] == "/"

    stolen = client.cookies.get("mediaparser_session")
    out = form_post(client, "/logout", {}, page="/")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/library").headers["location"].startswith("/login")
    # The old cookie is dead on the server, not only forgotten by this browser.
    replay = make_client()
    replay.cookies.set("mediaparser_session", stolen)
    assert replay.get("/library").status_code == 303
    same_server = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    same_server.cookies.set("mediaparser_session", stolen)
    assert same_server.get("/library").status_code == 303


def test_a_forged_session_cookie_is_refused(make_client, auth_settings) -> None:
    signed_in(make_client, auth_settings)
    forger = make_client()
    forger.cookies.set("mediaparser_session", "made-up-token.made-up-signature")
    assert forger.get("/library").status_code == 303


def test_wrong_passwords_are_limited_per_address(make_client, auth_settings) -> None:
    set_password(auth_settings)
    client = make_client(address="10.0.0.66")
    for _ in range(5):
        assert "not right" in form_post(client, "/login", {"password": "guess"}).text
    blocked = form_post(client, "/login", {"password": PASSWORD})
    assert blocked.status_code == 429 and "Too many wrong passwords" in blocked.text
    assert int(blocked.headers["Retry-After"]) > 0
    assert "mediaparser_session" not in client.cookies
    # Another device of the household is not locked out by it (same app: same attempt record).
    other = TestClient(client.app, client=("10.0.0.7", 1), follow_redirects=False)
    other.cookies.set("mediaparser_csrf", client.cookies["mediaparser_csrf"])
    token = token_of(client.get("/login").text)
    assert other.post("/login", data={"password": PASSWORD, "csrf_token": token}).status_code == 303


def test_mediaparser_password_becomes_the_password_and_a_change_signs_everyone_out(
    make_client, auth_settings
) -> None:
    first = replace(auth_settings, password=PASSWORD)
    client = make_client(settings=first)
    assert form_post(client, "/login", {"password": PASSWORD}).status_code == 303
    assert client.get("/library").status_code == 200
    # Restarted with another MEDIAPARSER_PASSWORD: the old one and its sessions are gone.
    second = make_client(settings=replace(auth_settings, password="another fine passphrase"))
    assert "not right" in form_post(second, "/login", {"password": PASSWORD}).text
    assert form_post(second, "/login", {"password": "another fine passphrase"}).status_code == 303
    # A third start with the first password again does not bring the old sessions back.
    third = make_client(settings=first)
    third.cookies.set("mediaparser_session", client.cookies["mediaparser_session"])
    assert third.get("/library").status_code == 303


def test_changing_the_password_on_the_account_page_signs_other_browsers_out(make_client, auth_settings) -> None:
    laptop = signed_in(make_client, auth_settings)
    phone = make_client()
    assert form_post(phone, "/login", {"password": PASSWORD}).status_code == 303
    page = laptop.get("/account")
    assert page.text.count("<li>") >= 2 and "(this browser)" in page.text
    change = {"password": "new passphrase", "repeat": "new passphrase"}
    wrong = form_post(laptop, "/account/password", {"current": "x", **change}, "/account")
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    done = form_post(laptop, "/account/password", {"current": PASSWORD, **change}, "/account")
    assert done.headers["location"] == "/account?changed=1"
    assert laptop.get("/account?changed=1").status_code == 200
    assert phone.get("/library").status_code == 303


def test_the_password_command_resets_a_forgotten_password(auth_settings) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MEDIAPARSER_DATA_DIR": str(auth_settings.data_dir)}
    env.pop("MEDIAPARSER_PASSWORD", None)
    result = subprocess.run(
        [sys.executable, "-m", "mediaparser", "password"],
        input="a new passphrase\na new passphrase\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        start_new_session=True,  # no terminal: getpass reads the answers from stdin
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(auth_settings.database_path)
    (stored,) = conn.execute("SELECT password_hash FROM access").fetchone()
    conn.close()
    assert credentials.verify_password("a new passphrase", stored)


# Sign-in off --------------------------------------------------------------------------------------


def test_sign_in_can_be_off_only_on_a_loopback_bind(web_settings: Settings) -> None:
    with pytest.raises(UnsafeSettings, match="MEDIAPARSER_AUTH=off is allowed only"):
        create_app(replace(web_settings, host="0.0.0.0"))
    env = {**os.environ, "PYTHONPATH": str(REPO), "MEDIAPARSER_DATA_DIR": str(web_settings.data_dir)}
    env.update(MEDIAPARSER_AUTH="off")
    result = subprocess.run(
        [sys.executable, "-m", "mediaparser", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
    )
    assert result.returncode == 2 and "MEDIAPARSER_AUTH=off is allowed only" in result.stderr


def test_with_sign_in_off_only_loopback_host_names_are_answered(web_client: TestClient) -> None:
    # A DNS-rebinding page would reach 127.0.0.1 under its own name: refused.
    response = web_client.get("/library", headers={"Host": "evil.example:8000"})
    assert response.status_code == 403 and "127.0.0.1" in response.text
    assert web_client.get("/library", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert web_client.get("/library", headers={"Host": "[::1]:8000"}).status_code == 200


# CSRF ---------------------------------------------------------------------------------------------


def count(settings: Settings, sql: str) -> int:
    conn = sqlite3.connect(settings.database_path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_a_cross_site_post_is_refused_and_changes_nothing(
    make_client, auth_settings, import_root: Path
) -> None:
    client = signed_in(make_client, auth_settings)
    token = token_of(client.get("/imports").text)
    folder = {"path": str(import_root)}
    # Another site's page cannot read the token; its form arrives without one, or with its Origin.
    attempts = [
        ({}, folder),
        ({"Origin": "https://evil.example"}, {**folder, "csrf_token": token}),
        ({"Sec-Fetch-Site": "cross-site"}, {**folder, "csrf_token": token}),
        ({"Sec-Fetch-Site": "same-site"}, {**folder, "csrf_token": token}),
        ({}, {**folder, "csrf_token": "forged"}),
    ]
    for headers, data in attempts:
        response = client.post("/imports", data=data, headers=headers)
        assert response.status_code == 403, (headers, data)
        assert "did not come from a MediaParser page" in response.text
    # JSON APIs and HTMX the same; HTMX is told to reload the page for a fresh token.
    assert client.post("/api/uploads", json={"label": "x"}).status_code == 403
    htmx = client.post("/imports/1/pause", headers={"HX-Request": "true", "X-CSRF-Token": "old"})
    assert htmx.status_code == 403 and htmx.headers["HX-Refresh"] == "true"
    assert count(auth_settings, "SELECT count(*) FROM imports") == 0
    # The same form from our own page goes through.
    ok = client.post("/imports", data={**folder, "csrf_token": token}, headers={"Origin": "http://testserver"})
    assert ok.status_code == 303, ok.text[-1500:]
    assert count(auth_settings, "SELECT count(*) FROM imports") == 1


def test_a_token_is_bound_to_its_browser(make_client, auth_settings) -> None:
    victim = signed_in(make_client, auth_settings)
    attacker = make_client()
    stolen_from_attacker_page = token_of(attacker.get("/login").text)
    response = victim.post("/api/uploads", headers={"X-CSRF-Token": stolen_from_attacker_page}, json={})
    assert response.status_code == 403
    own = token_of(victim.get("/").text)
    assert victim.post("/api/uploads", headers={"X-CSRF-Token": own}, json={}).status_code == 201


def test_deleting_originals_needs_the_token_too(web_client: TestClient, library: sqlite3.Connection) -> None:
    """The most dangerous form: a cross-site post to it must not even reach the handler."""
    bare = TestClient(web_client.app, base_url="http://localhost", follow_redirects=False)
    response = bare.post("/exports/1/sources", data={"action": "delete", "scope": "uploads", "count": "1"})
    assert response.status_code == 403
    assert web_client.post("/exports/1/sources", data={"action": "delete"}).status_code == 404


# Headers and escaping -----------------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(web_client: TestClient, library: sqlite3.Connection) -> None:
    lib = build(library)
    some_file = next(iter(lib.ids.values()))
    for url in ["/", "/library", "/static/style.css", "/nowhere", f"/files/{some_file}", "/api/library"]:
        headers = web_client.get(url).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, url
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["x-frame-options"] == "DENY", url
        assert headers["referrer-policy"] == "same-origin", url


def test_names_and_tags_with_html_show_as_text(web_client: TestClient, library: sqlite3.Connection) -> None:
    lib = build(library)
    evil = add_file(library, lib.import_id, 'x/<img src=x onerror="alert(1)">.jpg')
    library.commit()
    token = web_client.headers["X-CSRF-Token"]
    tagged = web_client.post(
        "/selection",
        data={"ids": str(evil), "action": "tag", "tag": "<script>alert(2)</script>", "csrf_token": token},
        follow_redirects=False,
    )
    assert tagged.status_code == 303
    for url in [f"/files/{evil}", "/library", "/tags"]:
        html = web_client.get(url).text
        assert "<script>alert(2)" not in html and "<img src=x" not in html, url
    assert "&lt;img src=x onerror=" in web_client.get(f"/files/{evil}").text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in web_client.get("/tags").text


def test_no_address_reaches_a_file_by_its_path(web_client: TestClient, web_settings: Settings) -> None:
    """Files are served by id from the library only: paths in the URL lead nowhere."""
    secret = web_settings.data_dir / "mediaparser.sqlite3"
    for url in [
        "/static/../storage/credentials.py",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2fpyproject.toml",
        f"/files/{secret}",
        "/files/1%2F..%2F..%2Fetc%2Fpasswd/original",
        "/files/..%2f..%2fetc%2fpasswd/thumb",
    ]:
        response = web_client.get(url)
        assert response.status_code == 404, url
        assert b"SQLite format" not in response.content and b"root:" not in response.content, url


def test_signed_out_browsers_get_no_pictures(make_client, auth_settings: Settings) -> None:
    client = signed_in(make_client, auth_settings)
    stranger = make_client()
    for url in ["/files/1/original", "/files/1/thumb", "/files/1/preview", "/api/files"]:
        assert stranger.get(url).status_code in (303, 401), url
        assert client.get(url).status_code in (200, 404), url


def test_another_apps_odd_cookie_on_the_same_host_does_not_break_forms(web_client: TestClient) -> None:
    """Cookies are per host, not per port: another local app's cookie arrives too. Python's
    SimpleCookie gives up on the whole header at a value like this one; we must not."""
    nonce = web_client.cookies["mediaparser_csrf"]
    header = f'_xsrf=2|ab"cd|ef; mediaparser_csrf={nonce}; other=x y'
    response = web_client.post("/api/uploads", json={}, headers={"Cookie": header})
    assert response.status_code == 201
