"""`make run` and `make up` end with the web app's address and the demo logins, per tenant, where they are seen."""

from __future__ import annotations

import pytest

from chassis.dev_issuer import demo_logins
from jingban.cli import print_web_app


def test_the_web_app_and_its_demo_logins_per_tenant(capsys: pytest.CaptureFixture[str]) -> None:
    print_web_app("http://127.0.0.1:8100", demo_logins(("hz-p1", "qz-ci")), "sign in on the issuer's page")
    out = capsys.readouterr().out
    assert "Web app: http://127.0.0.1:8100" in out
    assert "username <tenant>-<role>, password demo, e.g. hz-p1-clerk / demo" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("  ")}
    assert rows["hz-p1"] == rows["qz-ci"] == ["applicant", "clerk", "expert", "reviewer", "finance", "inspector",
                                              "institution", "supervisor", "ops"]


def test_without_logins_only_the_address(capsys: pytest.CaptureFixture[str]) -> None:
    print_web_app("http://127.0.0.1:8100", [], "sign in on Keycloak's page")
    out = capsys.readouterr().out
    assert "Web app: http://127.0.0.1:8100" in out and "Demo logins" not in out
