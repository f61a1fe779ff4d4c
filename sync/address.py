"""Which central-server addresses the counter talks to: https, or http to this PC only.

A device token sent over plain http crosses the line in clear, so ``http://`` is accepted
for a loopback host (a test server, a local proxy) and otherwise only when the office's IT
asked for it explicitly (``enrol --allow-insecure-http``, kept as the setting
``allow_insecure_http``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from rules.errors import UserFacingError
from rules.messages import Message

INSECURE_HTTP = Message(
    fa="نشانی سرور مرکزی با http:// است و رایانهٔ دیگری را نشان می‌دهد؛ رمز این رایانه بدون "
    "رمزنگاری از شبکه می‌گذشت. نشانی https:// را بدهید (یا اگر پشتیبانی فنی عمداً چنین "
    "خواسته است، --allow-insecure-http).",
    en="The central server's address is http:// to another machine: this PC's token would "
    "cross the network in clear. Give its https:// address (or, if the office's IT wants "
    "this on purpose, --allow-insecure-http).",
)


class InsecureServerAddress(UserFacingError):
    def __init__(self, url: str) -> None:
        super().__init__(INSECURE_HTTP, detail=url)


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP (127.0.0.0/8, ::1); a name is never resolved here."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_server_address(url: str, *, allow_insecure_http: bool = False) -> str:
    """``url`` if the counter may send its token there; ``InsecureServerAddress`` if not,
    ``ValueError`` for an address that is neither https:// nor http://."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("the server address starts with https:// (or http:// for tests)")
    if scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise InsecureServerAddress(url)
    return url
