"""The one masking function (chassis/masking.py): identity numbers (18 and 15 characters) and mobile phone numbers
masked wherever they stand in a text; numbers that are not one of them left alone."""

from __future__ import annotations

import pytest

from chassis.masking import mask, mask_value


@pytest.mark.parametrize(("text", "masked"), [
    ("610702195803120012", "610702********0012"),
    ("61072119620425002X", "610721********002X"),
    ("61072119620425002x", "610721********002x"),
    ("person 61072119620425002X applied", "person 610721********002X applied"),
    ("/v1/persons/610702195803120012/file", "/v1/persons/610702********0012/file"),
    ("person_id=610702195803120012&year=2025", "person_id=610702********0012&year=2025"),
    ("身份证号610702195803120012的申请", "身份证号610702********0012的申请"),
    ("old card 610702580312012", "old card 610702******012"),  # 15 characters, birth date 1958-03-12
    ("13812345678", "138****5678"),
    ("phone=13812345678&x=1", "phone=138****5678&x=1"),
    ("+8613812345678", "+86138****5678"),
    ("tel 138-1234-5678", "tel 138-****-5678"),
    ("手机19912345678", "手机199****5678"),
    ("a 610702195803120012 and 13812345678", "a 610702********0012 and 138****5678"),
])
def test_masks_identity_and_mobile_numbers(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize("text", [
    "order 1234567",
    "amount 123456789012345",        # 15 digits that are no birth date
    "1718000000000000000",            # a nanosecond timestamp: 19 digits, no identity number inside
    "4bf92f3577b34da6a3ce929d0e0e4736",  # a trace id
    "a13812345678",                   # part of a token, not a phone number
    "12345678901",                    # 11 digits that are no mobile number (12…)
    "2025-06-30T12:00:00+08:00",
    "",
])
def test_leaves_other_numbers_alone(text: str) -> None:
    assert mask(text) == text


def test_masking_twice_changes_nothing_more() -> None:
    once = mask("610702195803120012 13812345678")
    assert mask(once) == once


def test_mask_value_walks_mappings_lists_and_tuples() -> None:
    value = {"person_id": "610702195803120012", "n": 3, "nested": [{"phone": "13812345678"}, ("61072119620425002X",)],
             "610702195803120012": True}
    assert mask_value(value) == {"person_id": "610702********0012", "n": 3,
                                 "nested": [{"phone": "138****5678"}, ("610721********002X",)],
                                 "610702********0012": True}
    assert mask_value(5) == 5 and mask_value(None) is None
