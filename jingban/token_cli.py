"""`jingban token`: an access token from the identity provider the platform trusts.

- `--user hz-p1-clerk --password demo`: the password grant of the `jingban-cli` client (Keycloak's demo users;
  embedded mode's development issuer knows the same names);
- `--client jingban-intake --secret …`: the client-credentials grant (a service's own token);
- `--tenant T --role R [--sub S] [--program P]`: embedded mode only, minted with the development issuer's key kept in
  the data directory (refused when a real issuer is configured).

The issuer is `--issuer`, else `$JINGBAN_OIDC_ISSUER`, else the development issuer of a running `make run`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import httpx

from chassis.dev_issuer import DEV_ISSUER, dev_issuer


def _fail(message: str) -> int:
    print(f"jingban token: {message}", file=sys.stderr)
    return 2


def get_token(args: argparse.Namespace) -> int:
    issuer = (args.issuer or os.environ.get("JINGBAN_OIDC_ISSUER", "") or DEV_ISSUER).rstrip("/")
    if args.tenant or args.role:
        if issuer != DEV_ISSUER:
            return _fail("--tenant/--role mint with embedded mode's development issuer only; with a real issuer "
                         "log in with --user or --client")
        if not (args.tenant and args.role):
            return _fail("--tenant and --role go together")
        try:
            key = Path(os.environ.get("JINGBAN_DATA_DIR", ".jingban")) / "dev-issuer.pem"
            print(dev_issuer(key).token(args.tenant, args.role, args.sub, program=args.program))
        except ValueError as exc:
            return _fail(str(exc))
        return 0
    if args.user:
        data = {"grant_type": "password", "client_id": "jingban-cli", "username": args.user,
                "password": args.password or os.environ.get("JINGBAN_PASSWORD", "")}
    elif args.client:
        data = {"grant_type": "client_credentials", "client_id": args.client,
                "client_secret": args.secret or os.environ.get("JINGBAN_CLIENT_SECRET", "")}
    else:
        return _fail("say who: --user (password grant), --client (client credentials), or --tenant/--role "
                     "(embedded mode)")
    try:
        meta = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
        answer = httpx.post(str(meta["token_endpoint"]), data=data, timeout=10)
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        return _fail(f"the issuer {issuer} did not answer ({exc.__class__.__name__})")
    if answer.status_code != 200:
        return _fail(f"the issuer refused: {answer.status_code} {answer.text[:200]}")
    print(answer.json()["access_token"])
    return 0
