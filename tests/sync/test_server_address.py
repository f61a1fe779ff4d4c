"""The counter sends its token over https, or over http only to this PC unless told so."""

from __future__ import annotations

import pytest

from desktop.config import Settings
from desktop.office import this_device
from desktop.synccli import enrol_device, make_engine
from sync.address import InsecureServerAddress, check_server_address, is_loopback
from sync.client import SyncClient
from tests.support.server import RunningServer
from tests.sync.conftest import Counter


@pytest.mark.parametrize(
    "url",
    [
        "https://pishkhan.example.ir",
        "http://127.0.0.1:8000",
        "http://127.9.9.9",
        "http://localhost:8000/",
        "http://[::1]:8000",
    ],
)
def test_https_anywhere_and_http_to_this_pc_are_accepted(url: str) -> None:
    assert check_server_address(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://pishkhan.example.ir",
        "http://10.0.0.5:8000",
        "HTTP://192.168.1.2",
        "http://[2001:db8::1]",
    ],
)
def test_http_to_another_machine_is_refused_unless_allowed(url: str) -> None:
    with pytest.raises(InsecureServerAddress) as info:
        check_server_address(url)
    assert "https://" in info.value.message.fa and "--allow-insecure-http" in info.value.message.en
    assert check_server_address(url, allow_insecure_http=True) == url
    with pytest.raises(InsecureServerAddress):
        SyncClient(url, lambda: None)
    SyncClient(url, lambda: None, allow_insecure_http=True).close()


def test_a_name_is_not_resolved_to_judge_it() -> None:
    assert not is_loopback("localhost.example.ir")
    with pytest.raises(ValueError):
        check_server_address("ftp://127.0.0.1")


def test_enrol_command_refuses_plain_http_to_another_machine_in_both_languages(
    counter: Counter,
) -> None:
    for lang, words in (("fa", "رمزنگاری"), ("en", "in clear")):
        proc = counter.cli(
            "--lang", lang, "enrol", "--server", "http://10.0.0.5:8000", "--code", "ABCD-EFGH"
        )
        assert proc.returncode != 0
        assert words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    device = this_device(counter.store)
    assert device is not None and not device.enrolled


def test_the_explicit_permission_is_kept_for_the_syncs_that_follow(
    counter: Counter, server: RunningServer
) -> None:
    code = server.enrolment_code(counter.device.office_code)
    enrol_device(
        counter.store,
        counter.data_dir,
        server_url=server.base_url,
        code=code,
        allow_insecure_http=True,
    )
    settings = Settings(counter.data_dir)
    assert settings.get("allow_insecure_http") is True
    # The office's server later moves to a LAN address over http: allowed, as asked.
    settings.set("server_url", "http://10.0.0.5:8000")
    assert make_engine(counter.store, counter.data_dir) is not None
    settings.set("allow_insecure_http", False)
    with pytest.raises(InsecureServerAddress):
        make_engine(counter.store, counter.data_dir)
