"""What a service trusts (chassis/trust.py): outside embedded mode, a real issuer or no start at all."""

from __future__ import annotations

import dataclasses

import pytest

from chassis.config import Settings
from chassis.identity import JwksKeys, ServiceCredentials, StaticKeys
from chassis.trust import DevCredentials, MissingIssuer, credentials_for, verifier_for


@pytest.mark.parametrize("mode", ["local", "cluster"])
def test_outside_embedded_mode_a_service_refuses_to_start_without_an_issuer(mode: str) -> None:
    settings = dataclasses.replace(Settings.from_env("intake", {}), mode=mode)
    with pytest.raises(MissingIssuer, match="JINGBAN_OIDC_ISSUER"):
        verifier_for(settings, "intake")
    with pytest.raises(MissingIssuer):
        credentials_for(settings, "intake")


def test_with_an_issuer_each_service_verifies_its_own_audience_and_logs_in_as_its_own_client() -> None:
    env = {"JINGBAN_MODE": "local", "JINGBAN_OIDC_ISSUER": "https://sso.example.gov.cn/realms/yb",
           "JINGBAN_OIDC_CLIENT_SECRET_ARCHIVE": "archive-s", "JINGBAN_OIDC_CLIENT_SECRET": "fallback"}
    archive = Settings.from_env("archive", env)
    verifier = verifier_for(archive, "archive")
    assert verifier.audience == "jingban-archive" and isinstance(verifier.keys, JwksKeys)
    creds = credentials_for(archive, "archive")
    assert isinstance(creds, ServiceCredentials) and creds.client_id == "jingban-archive"
    assert creds._secret == "archive-s"
    assert Settings.from_env("audit", env).oidc_client_secret == "fallback"
    with pytest.raises(MissingIssuer, match="CLIENT_SECRET"):
        credentials_for(Settings.from_env("intake", {**env, "JINGBAN_OIDC_CLIENT_SECRET": ""}), "intake")


def test_embedded_mode_uses_the_development_issuer_in_process() -> None:
    settings = Settings.from_env("intake", {})
    assert settings.mode == "embedded" and not settings.oidc_issuer
    assert isinstance(verifier_for(settings, "intake").keys, StaticKeys)
    assert isinstance(credentials_for(settings, "intake"), DevCredentials)
