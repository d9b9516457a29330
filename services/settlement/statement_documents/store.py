"""The statement documents room's own collection, one database per tenant.

- `statement_documents`: the settlement documents an institution hands in with a statement (结算资料: purchase
  details, settlement sheet, invoices), bytes and sha256, where its program asks for them."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

STATEMENT_DOCUMENTS = "statement_documents"


class StatementDocumentStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[STATEMENT_DOCUMENTS].create_index("statement_id")

    async def statement_documents(self, statement_id: str, with_content: bool = False) -> list[dict[str, Any]]:
        return await self._db[STATEMENT_DOCUMENTS].find(
            {"statement_id": statement_id}, None if with_content else {"content": 0}).sort(
            "uploaded_at", 1).to_list(None)

    async def statement_document(self, statement_id: str, document_id: str) -> dict[str, Any] | None:
        return await self._db[STATEMENT_DOCUMENTS].find_one({"statement_id": statement_id,
                                                             "document_id": document_id})

    async def add_statement_document(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Insert once: the same file again (same derived _id) is the document already stored."""
        try:
            await self._db[STATEMENT_DOCUMENTS].insert_one(doc)
            return doc
        except DuplicateKeyError:
            return await self._db[STATEMENT_DOCUMENTS].find_one({"_id": doc["_id"]}) or doc
