"""The timeline's typed answer (办理进度): a step with its `event` code and `params` passes as written, a step stored
before the codes existed passes without them (the page shows its `note`) — nothing added, nothing dropped."""

from __future__ import annotations

import pytest

from services.intake.applications.api import ApplicationTimeline
from services.intake.care_applications.api import CareTimeline

OLD = {"status": "submitted", "label": "已提交 submitted", "at": "2025-06-01T00:00:00+00:00", "note": "online channel"}
NEW = {"status": "documents_missing", "label": "待补充材料", "at": "2025-06-02T00:00:00+00:00", "note": "请补充",
       "event": "documents_requested", "params": {"missing": ["id_card"]},
       "reason_codes": [{"code": "documents_missing", "detail": "id_card", "params": {"missing": "id_card"}}]}


@pytest.mark.parametrize("model", [ApplicationTimeline, CareTimeline])
def test_steps_old_and_new_pass_as_written(model: type) -> None:
    answer = {"application_id": "a", "status": "documents_missing", "timeline": [OLD, NEW]}
    out = model.model_validate(answer).model_dump(exclude_unset=True)
    assert out == answer
    assert "event" not in out["timeline"][0] and "params" not in out["timeline"][0]
