import json
import logging

from chassis.identity import Identity, current_identity
from chassis.logs import mask_id_numbers, setup_logging


def test_masks_resident_id_numbers_only() -> None:
    assert mask_id_numbers("person 61072119620425002X applied") == "person 610721********002X applied"
    assert mask_id_numbers("order 1234567") == "order 1234567"


def test_json_log_line_carries_tenant_service_and_masks(capsys) -> None:
    setup_logging("intake")
    token = current_identity.set(Identity("hz-p1", "clerk", "u1"))
    try:
        logging.getLogger("t").warning("filed for %s", "610702195803120012")
    finally:
        current_identity.reset(token)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["service"] == "intake" and line["tenant"] == "hz-p1" and line["level"] == "WARNING"
    assert "610702********0012" in line["message"] and "195803" not in line["message"]
