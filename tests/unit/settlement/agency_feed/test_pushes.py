"""A push's states (services/settlement/agency_feed/domain/pushes.py): sent, refused and parked with the system's
code, retried with backoff on transport failures then given up, and ops' retry (a refused push under a new msgid)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.settlement.agency_feed.domain.pushes import (
    MAX_ATTEMPTS,
    after_refusal,
    after_sent,
    after_transport_failure,
    backoff,
    new_push,
    push_id,
    push_view,
    retried,
)

NOW = datetime(2026, 2, 3, 2, 0, tzinfo=UTC)
PERSON = "33030319580312001X"


def push(**change: object) -> dict:
    p = new_push(push_id("e1"), "LTC01", "disability.concluded", "e1", "as1", {"certno": PERSON}, "M1", NOW,
                 records=0, persons=1)
    return {**p, **change}


def test_a_new_push_is_pending_and_due_at_once() -> None:
    p = push()
    assert (p["_id"], p["status"], p["attempts"], p["next_at"]) == ("e1.1", "pending", 0, NOW.isoformat())
    assert push_id("e1", 3) == "e1.3"


def test_a_receipt_makes_it_sent() -> None:
    changes = after_sent({"code": 0, "rcv_no": "PG1"}, 1, NOW)
    assert (changes["status"], changes["attempts"], changes["answer"]["rcv_no"]) == ("sent", 1, "PG1")


def test_a_refusal_parks_it_with_the_code() -> None:
    changes = after_refusal(2001, "证件号码校验失败：certno", 1, NOW)
    assert (changes["status"], changes["failure"], changes["answer"]["code"]) == ("failed", "refused", 2001)


def test_transport_failures_back_off_then_give_up() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 8, 9, 20)] == [2, 4, 8, 256, 300, 300]
    first = after_transport_failure(1, "AgencyUnavailable: HTTP 503", NOW)
    assert first["status"] == "pending" and first["next_at"] == (NOW + timedelta(seconds=2)).isoformat()
    last = after_transport_failure(MAX_ATTEMPTS, "AgencyUnavailable: HTTP 503", NOW)
    assert (last["status"], last["failure"]) == ("failed", "unavailable") and "next_at" not in last


def test_ops_retry_keeps_the_msgid_of_an_unanswered_push_and_renews_a_refused_ones() -> None:
    unanswered = retried(push(status="failed", failure="unavailable", attempts=8), NOW, "M2")
    assert unanswered["status"] == "pending" and unanswered["attempts"] == 0 and "msgid" not in unanswered
    refused = retried(push(status="failed", failure="refused", answer={"code": 2004, "message": "x"}), NOW, "M2")
    assert refused["msgid"] == "M2" and refused["previous_answer"]["code"] == 2004 and refused["retries"] == 1


def test_the_view_never_shows_the_body_and_masks_what_the_system_said() -> None:
    view = push_view(push(status="failed", failure="refused",
                          answer={"code": 2001, "message": f"证件号码校验失败：{PERSON}"}))
    assert PERSON not in str(view) and "body" not in view
    assert view["code"] == 2001 and view["failure"] == "refused" and view["txn_name"] == "失能等级评定结论上传"
    assert push_view(push())["code"] is None and push_view(push())["next_at"] == NOW.isoformat()
