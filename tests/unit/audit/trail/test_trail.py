from services.audit.trail.domain.trail import GENESIS, next_entry, verify


def fields(i: int) -> dict[str, str]:
    return {"event_id": f"e{i}", "type": "application.submitted", "tenant": "hz-p1", "business_key": "p",
            "occurred_at": f"2025-01-0{i}T00:00:00+00:00", "source": "intake", "causation_id": "",
            "payload_sha256": "ab" * 32}


def chain(n: int) -> list[dict]:
    out: list[dict] = []
    for i in range(1, n + 1):
        out.append(next_entry(out[-1] if out else None, fields(i)))
    return out


def test_a_fresh_chain_verifies() -> None:
    entries = chain(5)
    assert entries[0]["prev_hash"] == GENESIS and [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert verify(entries).valid and verify(entries).length == 5


def test_edit_deletion_and_reordering_are_detected() -> None:
    edited = chain(4)
    edited[2] = {**edited[2], "type": "qualification.granted"}
    assert verify(edited).broken_at == 3

    deleted = chain(4)
    del deleted[1]
    assert not verify(deleted).valid and verify(deleted).broken_at == 3

    swapped = chain(3)
    swapped[1], swapped[2] = swapped[2], swapped[1]
    assert not verify(swapped).valid
