"""`jingban` (经办): run the platform, run one service, get tokens from the identity provider."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable

from chassis.config import SERVICES
from jingban.tokens import Tokens


async def load_demo(url: Callable[[str], str], tokens: Tokens, tenants: tuple[str, ...], takes: str,
                    **sizes: int) -> bool:
    """Load the demo (jingban/demo.py) through the platform's own doors, unless a served tenant already holds data:
    seeding twice would double it. True if it was loaded. `sizes` go to `seed` (tests load a small demo)."""
    from jingban.demo import seed, tenants_holding_data

    held = await tenants_holding_data(url, tokens, tenants)
    if held:
        print(f"demo not loaded: data already there in {', '.join(held)} (the demo, or real work)", flush=True)
        return False
    print(f"loading demo data through the platform's own doors ({takes})...", flush=True)
    created = await seed(url, tokens, tenants, **sizes)
    for tenant, counts in created.items():
        print(f"  {tenant}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return True


def print_dev_tokens(tokens: Tokens, tenants: tuple[str, ...]) -> None:
    """Tokens of every served tenant's roles, and each program's agency supervisor token, from the issuer the
    platform trusts (`jingban token --user <tenant>-<role> --password demo` gets a fresh one)."""
    from chassis.programs import program_of_tenant
    from jingban.demo import agency_tenant
    from jingban.km_flow import KM, institution_ids
    from jingban.ltc_demo import LTC, institution_id
    from jingban.ltc_flow import lot_letter

    print("\nTokens (demo users <tenant>-<role>, password demo):")
    for tenant in tenants:
        for role in ("clerk", "reviewer", "finance", "inspector", "ops", "supervisor"):
            print(f"  {tenant} {role:<9} {tokens.user_token(tenant, role, f'demo-{role}')}")
        program = program_of_tenant(tenant)
        if program is not None and program.code == LTC:  # a care institution of the demo's (its id the subject)
            home = institution_id(lot_letter(tenant), 1)
            print(f"  {tenant} institution {tokens.user_token(tenant, 'institution', home)}   ({home})")
        if program is not None and program.code == KM:  # a supervised hospital (its id the subject): its reports
            hospital = institution_ids("hospital")[0]
            print(f"  {tenant} institution {tokens.user_token(tenant, 'institution', hospital)}   ({hospital})")
    programs = {p.code: p for t in tenants if (p := program_of_tenant(t)) is not None}
    if programs:
        # The supervisor's `program` claim is what lets it read across (and allocate into) the program's tenants.
        print("\nAgency supervisor tokens (role supervisor, claim program):")
        for code, program in programs.items():
            home = agency_tenant(program, tenants)
            token = tokens.user_token(home, "supervisor", f"agency-{code}", code)
            print(f"  {code:<11} (tenant {home}) {token}")
    sys.stdout.flush()


def print_web_app(url: str, logins: list[dict[str, str]], sign_in: str, password: str = "demo") -> None:
    """The web app's address and the demo logins, per tenant (`make run`, `make up`): printed last, where it is
    seen. `sign_in`: whose login page the app sends people to."""
    rule = "=" * 78
    print(f"\n{rule}\nWeb app: {url}   (网页应用; {sign_in})")
    if logins:
        example = next((x for x in logins if x["role"] == "clerk"), logins[0])["username"]
        print(f"Demo logins (演示账号): username <tenant>-<role>, password {password}, e.g. {example} / {password}")
        by_tenant: dict[str, list[str]] = {}
        for login in logins:
            by_tenant.setdefault(login["tenant"], []).append(login["role"])
        width = max(len(t) for t in by_tenant)
        for tenant, roles in by_tenant.items():
            print(f"  {tenant:<{width}}  " + "  ".join(roles))
    print(rule, flush=True)


def _run_embedded(demo: bool) -> None:
    from chassis.logs import setup_logging
    from chassis.telemetry import setup_telemetry
    from jingban.embedded import EmbeddedPlatform

    setup_logging("embedded", "WARNING")

    async def main() -> None:
        import os

        from chassis.config import zipkin_endpoint

        # A Zipkin named by JINGBAN_ZIPKIN_URL (or OTEL_EXPORTER_ZIPKIN_ENDPOINT) gets embedded mode's spans too.
        setup_telemetry("jingban-embedded", os.environ.get("JINGBAN_TRACE_FILE", ""),
                        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", ""), zipkin_endpoint(os.environ))
        from pathlib import Path

        from chassis.dev_issuer import dev_issuer

        # The development issuer's key pair lives in the data directory: printed tokens survive a restart.
        dev_issuer(Path(os.environ.get("JINGBAN_DATA_DIR", ".jingban")) / "dev-issuer.pem")
        platform = EmbeddedPlatform(serve_issuer=True)
        await platform.start()
        tenants = next(iter(platform.hosts.values())).settings.tenants
        # The web app's gateway, in this process beside the services (jingban/web.py): one origin for the browser.
        from chassis.dev_issuer import demo_logins, web_port
        from jingban.web import WebGateway, WebServer, embedded_config, zipkin_base

        web = WebServer(WebGateway({s: platform.url(s) for s in SERVICES},
                                   embedded_config(tenants, zipkin_base(os.environ))), web_port())
        try:
            await web.start()
        except RuntimeError as exc:
            await platform.stop()
            raise SystemExit(f"jingban run: {exc}") from exc
        if demo:
            await load_demo(platform.url, platform.tokens, tenants, "about half a minute")
        print("\nJingban (经办) is running in embedded mode:")
        for name in SERVICES:
            print(f"  {name:<11} {platform.url(name)}/docs   health {platform.url(name)}/healthz   "
                  f"grpc {platform.grpc_target(name)}")
        print(f"  provincial  {platform.simulator_url}   (simulator of the provincial platform)")
        print(f"  agency      {platform.agency_simulator_url}   (simulator of the agency's long-term care system)")
        print(f"  issuer      {platform.issuer_url}   (development OpenID issuer: JWKS, token endpoint, login page)")
        print(f"  web         {web.url}   (the web app and its /api/<service>/ gateway)")
        print_dev_tokens(platform.tokens, tenants)
        print_web_app(web.url, demo_logins(tenants), "sign in on the development issuer's page")
        print("\nCtrl-C to stop.", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await web.stop()
        await platform.stop()

    asyncio.run(main())


def _load_policy(path: str, tenant: str, url: str, token: str = "") -> int:
    """One call loads a new policy table: it is validated, versioned and published by settlement."""
    import os
    from pathlib import Path

    import httpx

    from jingban.tokens import tokens_from_env

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        print(f"jingban policy load: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    token = token or os.environ.get("JINGBAN_TOKEN", "") or tokens_from_env().user_token(tenant, "ops", "policy-cli")
    ctype = "application/json" if path.endswith(".json") else "application/yaml"
    r = httpx.post(f"{url.rstrip('/')}/v1/policies", content=text.encode(), timeout=30,
                   headers={"authorization": f"Bearer {token}", "content-type": ctype})
    print(r.text)
    return 0 if r.status_code in (200, 201) else 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jingban", description="Jingban (经办) platform")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="all five services in one process (embedded mode)")
    run.add_argument("--no-demo", action="store_true", help="start empty")
    serve = sub.add_parser("serve", help="one service as its own process (local/cluster mode)")
    serve.add_argument("service", choices=SERVICES)
    calc = sub.add_parser("calc", help="benefit calculation for one case: JSON in (FILE or stdin), JSON out")
    calc.add_argument("file", nargs="?", default="-")
    rev = sub.add_parser("review", help="smart claim review (智能审核): settings, catalogue and claims as JSON in "
                         "(FILE or stdin), the rule hits as JSON out")
    rev.add_argument("file", nargs="?", default="-")
    pol = sub.add_parser("policy", help="policy tables (owned by settlement)")
    pol_sub = pol.add_subparsers(dest="policy_command", required=True)
    load = pol_sub.add_parser("load", help="load a policy table version (YAML or JSON) into settlement")
    load.add_argument("file")
    load.add_argument("--tenant", required=True, help="the carrier loading it")
    load.add_argument("--token", default="", help="an ops token of the tenant (default: $JINGBAN_TOKEN, else one "
                      "from the issuer the platform trusts)")
    load.add_argument("--url", default="http://127.0.0.1:8103", help="settlement's HTTP address")
    tok = sub.add_parser("token", help="get an access token from the identity provider (password or "
                         "client-credentials grant), or from embedded mode's development issuer")
    tok.add_argument("--issuer", default="", help="the OpenID issuer (default $JINGBAN_OIDC_ISSUER, else embedded "
                     "mode's development issuer)")
    tok.add_argument("--user", default="", help="password grant: a user, e.g. hz-p1-clerk")
    tok.add_argument("--password", default="", help="the user's password ($JINGBAN_PASSWORD)")
    tok.add_argument("--client", default="", help="client-credentials grant: a client, e.g. jingban-intake")
    tok.add_argument("--secret", default="", help="the client's secret ($JINGBAN_CLIENT_SECRET)")
    tok.add_argument("--tenant", default="", help="embedded mode only: mint with the development issuer's key")
    tok.add_argument("--role", default="")
    tok.add_argument("--sub", default="dev-user")
    tok.add_argument("--program", default="")
    from jingban import dlq

    dlq.add_arguments(sub.add_parser("dlq", help="dead letters (死信): list, show and replay parked messages"))
    from jingban import keys_cli

    keys_cli.add_arguments(sub.add_parser("keys", help="rotate keys, reseal personal data under the newest key"))
    args = parser.parse_args(argv)

    if args.command == "run":
        _run_embedded(demo=not args.no_demo)
    elif args.command == "serve":
        import importlib

        from chassis.host import run_process

        run_process(importlib.import_module(f"services.{args.service}.main").SPEC)
    elif args.command == "calc":
        from jingban.calc_cli import main as calc_main

        return calc_main([] if args.file == "-" else [args.file])
    elif args.command == "review":
        from jingban.review_cli import main as review_main

        return review_main([] if args.file == "-" else [args.file])
    elif args.command == "policy":
        return _load_policy(args.file, args.tenant, args.url, args.token)
    elif args.command == "dlq":
        return dlq.run(args)
    elif args.command == "keys":
        return keys_cli.run(args)
    elif args.command == "token":
        from jingban.token_cli import get_token

        return get_token(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
