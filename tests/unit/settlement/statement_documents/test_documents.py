"""Settlement documents handed in with a statement (结算资料): each file checked against its declared type, the same
file again the same document, every refusal named — pure."""

from __future__ import annotations

from services.settlement.statement_documents.domain.documents import File, checked_documents, document_view

KINDS = ("purchase_details", "settlement_sheet", "invoice")
STATEMENT = {"_id": "H1-2025-06", "institution_code": "H1"}
PDF = b"%PDF-1.4 invoice"


def test_good_files_become_documents_keyed_by_their_content() -> None:
    files = [File("invoice", "a.pdf", "application/pdf; charset=binary", PDF),
             File("invoice", "again.pdf", "application/pdf", PDF)]
    docs, errors = checked_documents(files, KINDS, 1024, STATEMENT, "institution:H1", "2025-07-01T00:00:00+00:00")
    assert errors == [] and docs[0]["_id"] == docs[1]["_id"]  # the same bytes: the same document
    view = document_view(docs[0])
    assert (view["kind"], view["content_type"], view["size"], view["uploaded_by"]) == (
        "invoice", "application/pdf", len(PDF), "institution:H1")
    assert "content" not in view and view["document_id"].startswith("invoice-")


def test_each_refused_file_is_named() -> None:
    files = [File("receipt", "r.pdf", "application/pdf", PDF),                     # not a kind of the program
             File("invoice", None, "", b"", is_file=False),                         # a field, not a file
             File("invoice", "big.pdf", "application/pdf", PDF * 100),              # too large
             File("settlement_sheet", "s.pdf", "application/pdf", b"MZ\x90\x00"),   # not what it says it is
             File("purchase_details", "p.csv", "text/csv", "药品,数量\n".encode())]
    docs, errors = checked_documents(files, KINDS, 1024, STATEMENT, "clerk:c1", "now")
    assert [d["kind"] for d in docs] == ["purchase_details"]
    assert [e["field"] for e in errors] == ["documents.receipt", "documents.invoice", "documents.invoice",
                                            "documents.settlement_sheet"]
    assert "must be 1 to 1024 bytes" in errors[2]["message"] and "must match its type" in errors[3]["message"]
