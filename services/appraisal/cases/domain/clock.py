"""Where a program's appraisal clock (鉴定时限, `appraisal.working_days`) starts, as program.yaml's
`appraisal.clock_starts` says:

- `completed` (default): the day the application became complete (申报完成 in Hanzhong's reading: its last required
  documents came in — `documents_complete_on` of application.completed, else the day of the preliminary review);
- `submitted`: the day the applicant submitted it (Xunyang: "申报完成后…10个工作[日]内便可查看审核结果" — the
  applicant's submission is the 申报完成 of the mini-program, before any clerk looks at it).

Dates are China dates: a submission at 23:30 UTC is the next day in Beijing."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from chassis.errors import InvalidInput
from chassis.programs import Program

CLOCK_STARTS = ("completed", "submitted")
_CN = ZoneInfo("Asia/Shanghai")


def clock_starts(program: Program) -> str:
    value = str(program.setting("appraisal", "clock_starts", "completed"))
    if value not in CLOCK_STARTS:
        raise InvalidInput(f"appraisal.clock_starts of {program.code} must be one of {CLOCK_STARTS}, got {value!r}",
                           "appraisal.clock_starts")
    return value


def china_date(instant: str) -> date:
    """The Beijing date of an ISO timestamp (a naive one is taken as UTC, as the services write them)."""
    moment = datetime.fromisoformat(instant)
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_CN).date()


def clock_start(program: Program, submitted_at: str, completed_on: str) -> date:
    """The day the clock starts from (not counted itself: the deadline is N working days after it)."""
    if clock_starts(program) == "submitted" and submitted_at:
        return china_date(submitted_at)
    return date.fromisoformat(completed_on)
