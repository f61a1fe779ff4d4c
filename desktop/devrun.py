"""``python3 dev.py run``: a local reference server with a demo office, and the program against it.

Everything lives in ``.devdata/`` next to ``dev.py`` (server database, the
PC's data folder). On first run the PC is set up with demo data whose
requests all wait in the queue, then enrolled with a one-time code, so the
program shows them go from queued to accepted. Later runs reuse both.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from desktop.config import Settings
from desktop.db.engine import Store
from desktop.demo import DEMO_CLERK, DEMO_OFFICE_CODE, DEMO_OFFICE_NAME, DEMO_PASSWORD, seed_demo
from desktop.office import this_device

ROOT = Path(__file__).resolve().parents[1]
PREFERRED_PORT = 8765


def _free_port() -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", PREFERRED_PORT))
            return PREFERRED_PORT
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])


def _server_cmd(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "server", *args, "--data-dir", str(data_dir)]


@contextlib.contextmanager
def reference_server(data_dir: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        _server_cmd(data_dir, "serve", "--host", "127.0.0.1", "--port", str(port)), cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/v1/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the reference server did not start (see above)") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _set_up_client(client_dir: Path, server_dir: Path, url: str) -> None:
    store = Store.open(client_dir)
    try:
        fresh = this_device(store) is None
        if fresh:
            seed_demo(store, requests=25, settled=False)
        device = this_device(store)
    finally:
        store.close()
    assert device is not None
    if not device.enrolled:
        subprocess.run(
            _server_cmd(server_dir, "add-office", DEMO_OFFICE_CODE, DEMO_OFFICE_NAME),
            cwd=ROOT,
            capture_output=True,
        )  # already there on a re-run: fine
        code = (
            subprocess.run(
                _server_cmd(server_dir, "enrolment-code", DEMO_OFFICE_CODE),
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "desktop",
                "enrol",
                "--data-dir",
                str(client_dir),
                "--server",
                url,
                "--code",
                code,
            ],
            cwd=ROOT,
            check=True,
        )
    else:
        # The server may be on another port this time; the enrolment itself still holds.
        Settings(client_dir).set("server_url", url)


def main() -> int:
    devdata = ROOT / ".devdata"
    server_dir, client_dir = devdata / "server", devdata / "client"
    server_dir.mkdir(parents=True, exist_ok=True)
    with reference_server(server_dir) as url:
        _set_up_client(client_dir, server_dir, url)
        print(
            f"Pishkhan: reference server at {url}; log in as {DEMO_CLERK} / {DEMO_PASSWORD}",
            flush=True,
        )
        env = dict(os.environ)
        return subprocess.call(
            [sys.executable, "-m", "desktop", "--data-dir", str(client_dir), *sys.argv[1:]],
            cwd=ROOT,
            env=env,
        )


if __name__ == "__main__":
    sys.exit(main())
