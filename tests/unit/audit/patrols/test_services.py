"""A care service is (institution, month, record id): its one-string service id reads back whole."""

from __future__ import annotations

import pytest

from services.audit.patrols.domain.services import FAMILY, ServiceKey, institution_key, parse_service_id, service_id


def test_the_service_id_reads_back() -> None:
    assert service_id("WZB-C001", "2026-03", "P0-01") == "WZB-C001:2026-03:P0-01"
    assert parse_service_id("WZB-C001:2026-03:P0-01") == ServiceKey("WZB-C001", "2026-03", "P0-01")
    # a record id may hold ':' (settlement allows it); institution and month never do
    key = parse_service_id("WZB-C001:2026-03:a:b")
    assert key == ServiceKey("WZB-C001", "2026-03", "a:b") and key.service_id == "WZB-C001:2026-03:a:b"


def test_two_institutions_or_two_months_are_two_services() -> None:
    assert len({service_id("WZB-C001", "2026-03", "P0-01"), service_id("WZB-C002", "2026-03", "P0-01"),
                service_id("WZB-C001", "2026-04", "P0-01")}) == 3


def test_family_care_is_filed_under_family() -> None:
    assert institution_key("") == institution_key(None) == FAMILY
    assert service_id("", "2026-03", "F1") == "FAMILY:2026-03:F1"


@pytest.mark.parametrize("text", ["P0-01", "WZB-C001:2026-13:P0-01", "WZB-C001:2026-03:", ":2026-03:P0-01",
                                  "WZB.C001:2026-03:P0-01", "WZB-C001:2026-03:P0-01\n", "WZB-C001:2026-3:P0-01"])
def test_what_is_not_a_service_id(text: str) -> None:
    assert parse_service_id(text) is None
