"""What critical illness keeps sealed (services/settlement/critical/store.py, chassis/pii.py): a manual
reimbursement's documents, and the person and bank account of payables and payments to persons — stored sealed,
read back clear through every read of the store."""

from __future__ import annotations

import json
from typing import Any

from chassis.pii import is_sealed
from chassis.store.memory import MemoryStore
from services.settlement.critical.store import DOCUMENTS, PAYMENTS, PERSON_PAYABLES, CriticalStore

PERSON = "61072119620425002X"
ACCOUNT = {"bank_name": "中国银行", "account_name": "王秀英", "account_no": "6217000012345678"}


def _raw_text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, default=repr, ensure_ascii=False)


async def test_payables_payments_and_documents_are_sealed_and_read_back_clear() -> None:
    db = MemoryStore().database("settlement", "qz-ci")
    store = CriticalStore(db)
    payable = {"_id": "PP-c1", "claim_id": "c1", "person_id": PERSON, "month": "2025-06", "status": "unpaid",
               "bank_account": ACCOUNT}
    assert await store.insert_person_payable(payable)
    assert await store.insert_payment({"_id": "p1", "payee": "person", "person_id": PERSON, "month": "2025-06",
                                       "bank_account": ACCOUNT}, [])
    await store.insert_new_payments([{"_id": "p2", "payee": "person", "person_id": PERSON, "month": "2025-06",
                                      "bank_account": ACCOUNT}])
    await store.put_documents([{"_id": "k|invoice", "claim_id": "c1", "kind": "invoice",
                                "filename": "王秀英发票.pdf", "content": "%PDF-1.4 invoice of 王秀英".encode()}])
    for name in (PERSON_PAYABLES, PAYMENTS, DOCUMENTS):
        for raw in await db[name].find({}).to_list(None):
            text = _raw_text(raw)
            assert PERSON not in text and "王秀英" not in text and "6217000012345678" not in text, name
            assert "王秀英".encode() not in raw.get("content", b"")
    raw = await db[PERSON_PAYABLES].find_one({"_id": "PP-c1"})
    assert is_sealed(raw["person_id"]) and is_sealed(raw["bank_account"]) and raw["status"] == "unpaid"

    assert await store.person_payable("PP-c1") == payable
    assert await store.payables_of_month("2025-06") == [payable]
    assert await store.person_payables({"status": "unpaid"}, 10) == [payable]
    assert (await store.payment("p1"))["bank_account"] == ACCOUNT
    assert [p["person_id"] for p in await store.payments({"month": "2025-06"}, 10)] == [PERSON, PERSON]
    (by_id,) = await store.by_ids(PERSON_PAYABLES, ["PP-c1"], None)
    assert by_id == payable
    assert await store.update_person_payable("PP-c1", {"status": "unpaid"}, {"bank_account": {**ACCOUNT,
                                                                                               "bank_name": "工行"}})
    assert is_sealed((await db[PERSON_PAYABLES].find_one({"_id": "PP-c1"}))["bank_account"])
    assert (await store.person_payable("PP-c1"))["bank_account"]["bank_name"] == "工行"
