"""The demo loads once: `make up` and `make demo` load it only into a platform whose tenants hold no data, because a
second seed would submit its applications again (then stop at a statement already paid)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from jingban.cli import load_demo
from jingban.demo import tenants_holding_data
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually

TENANTS = ("hz-p1",)
SMALL = {"persons": 8, "applications": 2}


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPlatform]:
    data = tmp_path_factory.mktemp("data")  # the demo's monthly report files land here, not in the repo
    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": ",".join(TENANTS), "JINGBAN_DATA_DIR": str(data)},
                         port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


async def applications(platform: EmbeddedPlatform) -> list[str]:
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.get(f"{platform.url('intake')}/v1/applications", params={"limit": 2000},
                           headers=auth("hz-p1", "clerk"))
        assert r.status_code == 200, r.text
        return sorted(a["application_id"] for a in r.json())


async def test_the_demo_is_loaded_once(platform: EmbeddedPlatform, capsys: pytest.CaptureFixture[str]) -> None:
    assert await tenants_holding_data(platform.url, platform.tokens, TENANTS) == []
    assert await load_demo(platform.url, platform.tokens, TENANTS, "seconds", **SMALL) is True
    loaded = await applications(platform)
    assert len(loaded) == SMALL["applications"]
    # The audit trail is what says the demo is there: wait for audit to take in the demo's events.
    await eventually(lambda: tenants_holding_data(platform.url, platform.tokens, TENANTS),
                     what="the demo's events on the audit trail")
    capsys.readouterr()
    assert await load_demo(platform.url, platform.tokens, TENANTS, "seconds", **SMALL) is False
    assert "demo not loaded: data already there in hz-p1" in capsys.readouterr().out
    assert await applications(platform) == loaded  # nothing submitted twice
