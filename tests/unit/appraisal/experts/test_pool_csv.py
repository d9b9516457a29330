"""The expert pool's CSV as the reader gets it: any line ending reads (a lone CR too), and a file the CSV reader
cannot read is a 422 naming the file, never a 500 (found by tests/component/test_openapi_fuzz.py: `U\\rÛ`)."""

import pytest

from chassis.errors import InvalidInput
from services.appraisal.experts.domain.expert import csv_rows, parse_pool
from services.appraisal.experts.domain.expert_list import PoolRules, check_pool_rows

HEADER = "name,hospital,title,specialty"


def test_a_lone_carriage_return_is_a_line_break_not_a_crash() -> None:
    assert csv_rows("U\rÛ") == [["U"], ["Û"]]
    with pytest.raises(InvalidInput) as refused:
        parse_pool("U\rÛ")
    assert refused.value.field == "header"
    (expert,) = parse_pool(f"{HEADER}\r王建华,H1,主任医师,Cardiology\r")
    assert expert.name == "王建华"


@pytest.mark.parametrize("text", [f"{HEADER}\n{'x' * 200_000},H1,主任医师,c\n", '"' + "x" * 200_000 + '"'])
def test_a_field_beyond_the_readers_limit_refuses_the_file(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_pool(text)
    assert refused.value.field == "file"
    with pytest.raises(InvalidInput):
        check_pool_rows(text, PoolRules(1, "", False))
