"""The two cookies MediaParser sets, signed with the library's secret key.

- `mediaparser_session`: a random token and its signature; the database keeps only the token's
  SHA-256 (storage/credentials.py), so signing out anywhere ends it everywhere.
- `mediaparser_csrf`: a random nonce. The CSRF token in every page is HMAC(key, nonce): another site
  can neither read the cookie nor compute the token, so it cannot forge a form that passes.

Both are HttpOnly and SameSite=Lax, and Secure whenever the page itself came over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SESSION_COOKIE = "mediaparser_session"
CSRF_COOKIE = "mediaparser_csrf"
SESSION_DAYS = 30
CSRF_MAX_AGE = 365 * 86400


def _sign(key: str, purpose: str, value: str) -> str:
    mac = hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_value(key: str, token: str) -> str:
    return f"{token}.{_sign(key, 'session', token)}"


def session_token(key: str, value: str | None) -> str | None:
    """The token inside a session cookie, if its signature is ours."""
    token, _, signature = (value or "").partition(".")
    if token and hmac.compare_digest(signature, _sign(key, "session", token)):
        return token
    return None


def csrf_token(key: str, nonce: str) -> str:
    return _sign(key, "csrf", nonce)


def csrf_matches(key: str, nonce: str | None, given: str | None) -> bool:
    return bool(nonce and given) and hmac.compare_digest(csrf_token(key, nonce or ""), given or "")


def set_cookie_header(name: str, value: str, *, max_age: int, secure: bool) -> bytes:
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


def constant_equal(given: str, expected: str | None) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), (expected or "").encode())
