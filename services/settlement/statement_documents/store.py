"""The statement documents room's own collection, one database per tenant.

- `statement_documents`: the settlement documents an institution hands in with a statement (结算资料: purchase
  details, settlement sheet, invoices), bytes and sha256, where its program asks for them.

They list patients (names, identity numbers): the bytes and the file name are sealed (chassis/pii.py), opened as
read; the sha256 is of the clear bytes (a document that no longer opens reads back as its stored bytes, which do
not match it: the service answers 409)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.pii import SealBroken, Sealed, Sealer, sealer_of

STATEMENT_DOCUMENTS = "statement_documents"
STATEMENT_DOCUMENT = Sealed(text=("filename",), data=("content",))


class StatementDocumentStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    def _open(self, doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if doc is None:
            return None
        pii = self._pii
        try:
            return STATEMENT_DOCUMENT.open(pii, doc)
        except SealBroken:  # altered, or another tenant's: the file name opened, the bytes as stored
            return {**doc, "filename": pii.open(doc.get("filename"))}

    async def ensure_indexes(self) -> None:
        await self._db[STATEMENT_DOCUMENTS].create_index("statement_id")

    async def statement_documents(self, statement_id: str, with_content: bool = False) -> list[dict[str, Any]]:
        found = await self._db[STATEMENT_DOCUMENTS].find(
            {"statement_id": statement_id}, None if with_content else {"content": 0}).sort(
            "uploaded_at", 1).to_list(None)
        return [d for d in (self._open(doc) for doc in found) if d is not None]

    async def statement_document(self, statement_id: str, document_id: str) -> dict[str, Any] | None:
        return self._open(await self._db[STATEMENT_DOCUMENTS].find_one({"statement_id": statement_id,
                                                                        "document_id": document_id}))

    async def add_statement_document(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Insert once: the same file again (same derived _id) is the document already stored."""
        try:
            await self._db[STATEMENT_DOCUMENTS].insert_one(STATEMENT_DOCUMENT.seal(self._pii, doc))
            return doc
        except DuplicateKeyError:
            return self._open(await self._db[STATEMENT_DOCUMENTS].find_one({"_id": doc["_id"]})) or doc
