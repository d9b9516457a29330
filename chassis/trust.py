"""What a service trusts and how it proves itself (信任): the verifier of the tokens it accepts and the credentials
of its own calls to other services, both from the settings.

- An issuer configured (local mode: Keycloak; cluster: the agency's provider) → JWKS verification and the
  client-credentials grant with this service's own client.
- Embedded mode without one → the built-in development issuer (chassis/dev_issuer.py), in process.
- Any other mode without an issuer → the service refuses to start."""

from __future__ import annotations

from typing import Protocol

from chassis.config import Settings
from chassis.dev_issuer import dev_issuer
from chassis.identity import JwksKeys, ServiceCredentials, TokenVerifier, audience_of


class MissingIssuer(SystemExit):
    """Outside embedded mode a service never falls back to a development issuer."""


class Credentials(Protocol):
    async def token(self) -> str: ...

    async def close(self) -> None: ...


class DevCredentials:
    """Embedded mode: the service's client-credentials token, minted by the in-process development issuer."""

    def __init__(self, service: str, tenants: tuple[str, ...]) -> None:
        self.service, self.tenants = service, tenants

    async def token(self) -> str:
        return dev_issuer().service_token(self.service, self.tenants)

    async def close(self) -> None:
        return None


def _require_issuer(settings: Settings) -> None:
    if not settings.oidc_issuer and settings.mode != "embedded":
        raise MissingIssuer(f"{settings.service or 'jingban'}: JINGBAN_OIDC_ISSUER is required in {settings.mode} "
                            "mode (the development issuer exists only in embedded mode)")


def verifier_for(settings: Settings, service: str) -> TokenVerifier:
    _require_issuer(settings)
    if settings.oidc_issuer:
        return TokenVerifier(settings.oidc_issuer, audience_of(service), JwksKeys(settings.oidc_issuer),
                             settings.token_max_lifetime_s, settings.token_leeway_s)
    return dev_issuer().verifier(service, settings.token_max_lifetime_s)


def credentials_for(settings: Settings, service: str) -> Credentials:
    _require_issuer(settings)
    if settings.oidc_issuer:
        if not settings.oidc_client_secret:
            raise MissingIssuer(f"{service}: JINGBAN_OIDC_CLIENT_SECRET is required with an issuer")
        return ServiceCredentials(settings.oidc_issuer, settings.oidc_client_id or audience_of(service),
                                  settings.oidc_client_secret)
    return DevCredentials(service, settings.tenants)
