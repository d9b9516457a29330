"""The broker's ACL plan (chassis/bus/acls.py) for the five services as their wiring declares them: each writes only
the topics the catalogue names it publisher of (and its own dead-letter topic), reads only what it consumes, with
its own consumer group; the launcher's users are the services plus `admin`."""

from __future__ import annotations

import pytest

from chassis.bus.acls import CREATE, GROUP, READ, TOPIC, WRITE, AclEntry, acl_plan, consumer_group, in_scope
from chassis.config import SERVICES, Settings
from chassis.consumer import EventConsumer
from chassis.events import CATALOGUE, dead_letter_topic, topic_for
from jingban.kafka_acls import plan, service_subscriptions
from tests.support.infra import load_launcher

TENANTS = ("hz-p1", "hz-p2")
PREFIX = "run7."


@pytest.fixture(scope="module")
def entries() -> list[AclEntry]:
    return plan(TENANTS, PREFIX)


def rights(entries: list[AclEntry], service: str, operation: str, resource: str = TOPIC) -> set[str]:
    return {e.name for e in entries
            if e.principal == f"User:{service}" and e.operation == operation and e.resource_type == resource}


def test_a_service_writes_only_its_own_events_and_dead_letters(entries: list[AclEntry]) -> None:
    for service in SERVICES:
        own = {topic_for(t, et, PREFIX) for t in TENANTS for et, (pub, _) in CATALOGUE.items() if pub == service}
        own |= {dead_letter_topic(t, service, PREFIX) for t in TENANTS}
        assert rights(entries, service, WRITE) == own, service
    intake_writes = rights(entries, "intake", WRITE)
    assert "run7.hz-p1.appraisal.qualification.granted" not in intake_writes  # the attack of the issue
    assert "run7.hz-p1.intake.application.submitted" in intake_writes


def test_a_service_reads_only_what_it_consumes_in_its_own_group(entries: list[AclEntry]) -> None:
    subscriptions = service_subscriptions()
    assert "application.completed" in subscriptions["appraisal"]
    # audit keeps the trail of every other service's events
    assert set(subscriptions["audit"]) >= {t for t, (publisher, _) in CATALOGUE.items() if publisher != "audit"}
    for service in SERVICES:
        assert rights(entries, service, READ) == {topic_for(t, et, PREFIX) for t in TENANTS
                                                  for et in subscriptions[service]}, service
        assert rights(entries, service, READ, GROUP) == {consumer_group(service, PREFIX)}
    assert "run7.hz-p1.settlement.benefits.settled" not in rights(entries, "intake", READ)
    assert not any(e.operation == READ and "dead-letter" in e.name for e in entries)  # parked messages: ops only


def test_the_consumer_reads_exactly_the_topics_and_group_the_plan_allows(entries: list[AclEntry]) -> None:
    """What each service's EventConsumer would subscribe to, with which group, is covered by READ bindings."""
    for service, consumed in service_subscriptions().items():
        consumer = EventConsumer(service, None, None, TENANTS, [_sub(t) for t in consumed], topic_prefix=PREFIX)
        assert set(consumer.topics()) == rights(entries, service, READ)
        assert consumer.group == consumer_group(service, PREFIX)


def _sub(event_type: str):
    from chassis.consumer import Subscription

    return Subscription(event_type)


def test_creation_is_allowed_only_on_topics_it_writes_or_reads(entries: list[AclEntry]) -> None:
    for service in SERVICES:
        assert rights(entries, service, CREATE) == rights(entries, service, WRITE) | rights(entries, service, READ)
    assert {e.operation for e in entries} == {READ, WRITE, CREATE}
    assert {e.resource_type for e in entries} == {TOPIC, GROUP}


def test_the_prefix_and_tenants_shape_every_name() -> None:
    subs = {"intake": ["qualification.granted"], "appraisal": []}
    assert all(e.name.startswith(PREFIX) for e in acl_plan(subs, ["hz-p1"], PREFIX))
    unprefixed = acl_plan(subs, ["hz-p1"])
    assert AclEntry("User:intake", TOPIC, "hz-p1.appraisal.qualification.granted", READ) in unprefixed
    assert AclEntry("User:intake", GROUP, "jingban-intake", READ) in unprefixed
    assert not any(e.principal == "User:appraisal" and e.resource_type == GROUP for e in unprefixed)  # no consumer
    assert not any("hz-p2" in e.name for e in unprefixed)
    with pytest.raises(ValueError, match="catalogue does not know"):
        acl_plan({"intake": ["no.such.event"]}, ["hz-p1"])


def test_stale_bindings_are_judged_within_their_own_prefix_only() -> None:
    services, tenants = ["intake"], ["hz-p1"]
    assert in_scope(AclEntry("User:intake", TOPIC, "hz-p1.settlement.benefits.settled", READ), services, tenants)
    assert not in_scope(AclEntry("User:intake", TOPIC, "t1.hz-p1.settlement.benefits.settled", READ), services,
                        tenants)  # another run's prefix
    assert in_scope(AclEntry("User:intake", TOPIC, "t1.hz-p1.x.y", READ), services, tenants, "t1.")
    assert not in_scope(AclEntry("User:intake", TOPIC, "hz-p3.x.y", READ), services, tenants)  # not served here
    assert not in_scope(AclEntry("User:other", TOPIC, "hz-p1.x.y", READ), services, tenants)
    assert in_scope(AclEntry("User:intake", GROUP, "jingban-intake", READ), services, tenants)
    assert not in_scope(AclEntry("User:intake", GROUP, "t1.jingban-intake", READ), services, tenants)


def test_the_launcher_has_a_user_per_service_and_an_admin(tmp_path, monkeypatch) -> None:
    launcher = load_launcher()
    assert launcher.KAFKA_USERS == ("admin", *SERVICES)
    monkeypatch.setenv("JINGBAN_DATA", str(tmp_path))
    layout = launcher.Layout.from_env()
    env = layout.env(("kafka",), kafka_user="intake")
    assert env["JINGBAN_KAFKA_USERNAME"] == "intake"
    assert env["JINGBAN_KAFKA_PASSWORD"] == layout.kafka_password("intake") != layout.kafka_password("admin")
    assert "JINGBAN_KAFKA_CREDENTIALS" not in env  # a service gets its own password, nobody else's
    assert layout.env(("kafka",))["JINGBAN_KAFKA_CREDENTIALS"] == str(layout.kafka_credentials_file)
    with pytest.raises(launcher.LauncherError):
        layout.kafka_password("mallory")
    lines = "\n".join(launcher._kafka_security_lines(layout))
    assert "allow.everyone.if.no.acl.found=false" in lines and "super.users=User:admin" in lines
    assert "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT" in lines


def test_local_mode_gives_each_service_its_own_kafka_user_and_nobody_the_file(tmp_path) -> None:
    import json

    from jingban.local import LocalPlatform

    users = {u: f"pw-{u}" for u in ("admin", *SERVICES)}
    creds = tmp_path / "credentials.json"
    creds.write_text(json.dumps({"mechanism": "SCRAM-SHA-512", "users": users}))
    platform = LocalPlatform({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "JINGBAN_KAFKA_CREDENTIALS": str(creds)},
                             tmp_path / "logs")
    for service in SERVICES:
        env = platform.service_env(service)
        assert (env["JINGBAN_KAFKA_USERNAME"], env["JINGBAN_KAFKA_PASSWORD"]) == (service, f"pw-{service}")
        assert "JINGBAN_KAFKA_CREDENTIALS" not in env and "pw-admin" not in env.values()


def test_a_service_reads_its_kafka_identity_from_the_environment_and_never_shows_the_password() -> None:
    from chassis.bus.kafka import KafkaCredentials, client_security

    settings = Settings.from_env("intake", {"JINGBAN_KAFKA_USERNAME": "intake", "JINGBAN_KAFKA_PASSWORD": "s3cret"})
    assert (settings.kafka_username, settings.kafka_password) == ("intake", "s3cret")
    assert "s3cret" not in repr(settings)
    creds = KafkaCredentials(settings.kafka_username, settings.kafka_password)
    assert "s3cret" not in repr(creds)
    assert creds.client_config() == {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                                     "sasl_plain_username": "intake", "sasl_plain_password": "s3cret"}
    assert client_security("", "") == {}  # no user: a broker without SASL (embedded mode never connects)


def test_cluster_mode_talks_sasl_over_tls_trusting_the_brokers_ca() -> None:
    from chassis.bus.kafka import KafkaCredentials, client_security

    settings = Settings.from_env("audit", {"JINGBAN_KAFKA_USERNAME": "audit", "JINGBAN_KAFKA_PASSWORD": "p",
                                           "JINGBAN_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                                           "JINGBAN_KAFKA_CA_FILE": "/var/run/jingban/kafka-ca/ca.crt"})
    creds = KafkaCredentials(settings.kafka_username, settings.kafka_password, settings.kafka_security_protocol,
                             settings.kafka_ca_file)
    config = creds.client_config()
    assert config["security_protocol"] == "SASL_SSL" and config["ssl_cafile"] == "/var/run/jingban/kafka-ca/ca.crt"
    assert config["ssl_check_hostname"] is True and config["sasl_mechanism"] == "SCRAM-SHA-512"
    with pytest.raises(ValueError, match="unsupported"):
        client_security("audit", "p", "PLAINTEXT")
