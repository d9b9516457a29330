"""The pure rules of critical illness statements (大病保险月度结算): insurance and clearing types, statement months
and ids, reconciliation groups, bank accounts masked."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.errors import InvalidInput
from services.settlement.critical.domain import statements as cs


def line(cid: str, person: str, insutype: str, clr: str, claimed: int, payable: int, late: bool = False) -> cs.Line:
    return cs.Line(cid, person, "2025-03-05", insutype, clr, claimed, payable, "2025.1", late)


def test_insutype_given_defaulted_or_refused() -> None:
    assert cs.parse_insutype("310", "claims[0].insutype") == "310"
    assert cs.parse_insutype(390, "x") == "390"
    assert cs.parse_insutype(None, "x") is None and cs.parse_insutype("", "x") is None
    assert cs.insutype_or_default(None) == ("390", "default")
    assert cs.insutype_or_default("310") == ("310", "given")
    for bad in ("320", "31O", True, 3.1):
        with pytest.raises(InvalidInput) as exc:
            cs.parse_insutype(bad, "claims[2].insutype")
        assert exc.value.field == "claims[2].insutype"


@pytest.mark.parametrize(("care", "institution", "clr"), [
    ("inpatient", "H330802001", "21"),
    ("chronic_outpatient", "H330802001", "11"),
    ("special_outpatient", "H330825001", "11"),
    ("special_drug", "H330802001", "11"),     # dispensed in the hospital's outpatient pharmacy
    ("special_drug", "P330802101", "41"),     # a designated retail pharmacy clears as a pharmacy
    ("inpatient", "P330802101", "41"),
    ("inpatient", "X330802001", "99"),
    ("inpatient", "", "99"),
])
def test_clearing_type_from_institution_kind_and_care(care: str, institution: str, clr: str) -> None:
    assert cs.clr_type_of(care, institution) == clr


def test_statement_month_ids_and_the_month_being_over() -> None:
    assert cs.statement_month(date(2025, 3, 31)) == "2025-03"
    assert cs.statement_id("H330802001", "2025-03") == "CI-H330802001-2025-03"
    assert cs.statement_id("H330802001", "2025-03", 2) == "CI-H330802001-2025-03-2"
    assert cs.month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert not cs.month_over("2025-03", date(2025, 3, 31))
    assert cs.month_over("2025-03", date(2025, 4, 1))
    assert cs.payable_id("M-abc") == "PP-M-abc"


def test_groups_by_insutype_and_clr_type_add_up_to_the_totals() -> None:
    lines = [line("a", "P1", "390", "21", 40000_00, 9800_00), line("b", "P2", "310", "21", 30000_00, 1400_00),
             line("c", "P1", "390", "11", 5000_00, 700_00), line("d", "P3", "390", "21", 20000_00, 100_00, True),
             line("a", "P1", "390", "21", 40000_00, 9800_00)]  # pushed twice by a retry: counted once
    groups = cs.groups(lines)
    assert [(g.insutype, g.clr_type, g.claims, g.claimed_fen, g.payable_fen) for g in groups] == [
        ("310", "21", 1, 30000_00, 1400_00), ("390", "11", 1, 5000_00, 700_00), ("390", "21", 2, 60000_00, 9900_00)]
    totals = cs.totals(lines)
    assert totals["claims"] == sum(g.claims for g in groups) == 4
    assert totals["payable_fen"] == sum(g.payable_fen for g in groups) == 12000_00
    assert totals["claimed_fen"] == sum(g.claimed_fen for g in groups)
    assert (totals["persons"], totals["late_claims"], totals["policy_versions"]) == (3, 1, ["2025.1"])
    assert cs.groups([]) == [] and cs.totals([])["payable_fen"] == 0


def test_line_round_trips_through_its_document() -> None:
    one = line("a", "P1", "310", "41", 100, 50, late=True)
    assert cs.Line.of(one.doc()) == one


def test_bank_account_checked_and_masked() -> None:
    account = cs.parse_bank_account({"bank_name": "中国农业银行衢州分行", "account_name": "王建国",
                                     "account_no": "6228 4800 1234 5678"})
    assert account == {"bank_name": "中国农业银行衢州分行", "account_name": "王建国", "account_no": "6228480012345678"}
    masked = cs.mask_account(account)
    assert masked == {"bank_name": "中国农业银行衢州分行", "account_name": "王**", "account_no": "************5678"}
    assert "12345678" not in str(masked) and "建国" not in str(masked)
    assert cs.parse_bank_account(None) is None and cs.mask_account(None) is None
    for bad, field in (({"bank_name": "x", "account_name": "y", "account_no": "12ab5678"}, "bank_account.account_no"),
                       ({"bank_name": "", "account_name": "y", "account_no": "12345678"}, "bank_account.bank_name"),
                       ({"bank_name": "x", "account_no": "12345678"}, "bank_account.account_name"),
                       ({"bank_name": "x", "account_name": "y", "account_no": "12345678", "pin": "1"},
                        "bank_account.pin"),
                       ("6228480012345678", "bank_account")):
        with pytest.raises(InvalidInput) as exc:
            cs.parse_bank_account(bad)
        assert exc.value.field == field


def test_a_claims_digest_ignores_where_it_is_paid_and_an_absent_insutype() -> None:
    """Claims settled before claims carried an insurance type keep their digest (a re-send is still the same
    claim); a given type and the claim's content change it, the payee's bank account does not."""
    import hashlib
    import json
    from dataclasses import asdict
    from decimal import Decimal

    from services.settlement.critical.service.claims import ClaimIn

    base = ClaimIn("c1", "P1", date(2025, 3, 1), "inpatient", "in_area", True, Decimal("100.00"), Decimal("80.00"),
                   "manual")
    before = {k: v for k, v in asdict(base).items()
              if k not in ("documents", "insutype", "bank_account", "lines")}  # (fields claims carried before)
    before["documents"] = []
    legacy = hashlib.sha256(json.dumps(before, default=str, sort_keys=True).encode()).hexdigest()
    assert base.digest() == legacy
    paid_to = ClaimIn(**{**asdict(base), "bank_account": {"bank_name": "x", "account_name": "y",
                                                          "account_no": "12345678"}})
    assert paid_to.digest() == legacy
    assert ClaimIn(**{**asdict(base), "insutype": "310"}).digest() != legacy
