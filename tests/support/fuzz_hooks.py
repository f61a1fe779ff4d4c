"""schemathesis hooks for fuzzing the central server (loaded by the CLI through
``SCHEMATHESIS_HOOKS``; see tests/support/fuzz.py).

The server's calls need two kinds of token: the admin token for /v1/admin, a device token
for the device calls. Device calls use the token of the device that the body names when a
linked enrolment made it (stateful runs), else the fuzz device's token; a push that names
no known device is sent as the fuzz device (else it would only ever be answered 403, and
the items behind it never reached). Cases with a token already set (a check that sends
a wrong one) are left alone.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

ADMIN = os.environ.get("PISHKHAN_FUZZ_ADMIN_TOKEN", "")
DEVICE_ID = os.environ.get("PISHKHAN_FUZZ_DEVICE_ID", "")
DEVICE_TOKEN = os.environ.get("PISHKHAN_FUZZ_DEVICE_TOKEN", "")
_tokens: dict[str, str] = {}
_last: list[str] = []


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    headers = case.headers if case.headers is not None else {}
    if any(name.lower() == "authorization" for name in headers):
        return
    path = case.operation.path
    if path.startswith("/v1/admin"):
        headers["Authorization"] = f"Bearer {ADMIN}"
    elif path in ("/v1/push", "/v1/changes", "/v1/heartbeat"):
        token = DEVICE_TOKEN
        body = case.body
        if path == "/v1/push" and isinstance(body, dict):
            known = _tokens.get(str(body.get("device_id")))
            if known:
                token = known
            else:
                body["device_id"] = DEVICE_ID
        elif _last and path != "/v1/push":
            token = _last[-1]
        headers["Authorization"] = f"Bearer {token}"
    case.headers = headers


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    if case.operation.path != "/v1/enrol" or response.status_code != 200:
        return
    try:
        answer = json.loads(response.content)
    except ValueError:
        return
    _tokens[answer["device_id"]] = answer["device_token"]
    _last.append(answer["device_token"])
