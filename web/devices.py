"""What a person calls the device a request came from ("Firefox on Android"), read from its User-Agent.

A household shares one password, so the browser is the "who" of a decision and of a signed-in session;
a person recognises "Safari on iPhone" where a User-Agent string means nothing to them.
"""

from __future__ import annotations

# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("FxiOS", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "Mac"),
    ("Linux", "Linux"),
)


def device_name(user_agent: str) -> str:
    """ "Chrome on Linux", "Safari on iPhone"; a tool's own name ("curl") when it is not a browser."""
    agent = user_agent.strip()
    if not agent:
        return "unknown browser"
    browser = next((name for token, name in BROWSERS if token in agent), None)
    system = next((name for token, name in SYSTEMS if token in agent), None)
    if browser is None:
        # curl/8.5.0, python-httpx/0.27: the program's name is the useful part.
        return agent.split("/", 1)[0].split()[0][:40]
    return f"{browser} on {system}" if system else browser
