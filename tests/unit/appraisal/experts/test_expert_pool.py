"""The expert pool's CSV (experts/domain/expert.py)."""

import pytest

from chassis.errors import InvalidInput
from services.appraisal.experts.domain.expert import parse_pool


def test_expert_pool_csv() -> None:
    experts = parse_pool("name,hospital,title,specialty\n王建华,H1,主任医师,Cardiology\n李丽,H2,副主任医师,oncology\n")
    assert [e.specialty for e in experts] == ["cardiology", "oncology"] and experts[0].expert_id.startswith("ex-")
    with pytest.raises(InvalidInput) as err:
        parse_pool("name,hospital,title,specialty\n张三,H1,主治医师,cardiology\n李四,H2\n")
    assert [f["field"] for f in err.value.fields] == ["row 2.title", "row 3"]
    with pytest.raises(InvalidInput):
        parse_pool("name,hospital\nx,y\n")
