"""The surveys room's collection, one database per tenant: `surveys` (satisfaction survey answers, 满意度测评:
`_id` = the application id, so one per application). Who answered is sealed (chassis/pii.py) and never read back."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.pii import Sealed, sealer_of

SURVEYS = "surveys"
SURVEY = Sealed(text=("person_id",))


class SurveyStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        # one answer per application is its _id; results are read per program and period
        await self._db[SURVEYS].create_index([("program", 1), ("answered_on", 1)])

    async def add_survey(self, doc: dict[str, Any]) -> bool:
        """The application's answers, once: False when it was answered already (its _id is the application id)."""
        try:
            await self._db[SURVEYS].insert_one(SURVEY.seal(sealer_of(self._db), doc))
        except DuplicateKeyError:
            return False
        return True

    async def survey_answers(self, program: str, first: str, last: str) -> list[dict[str, Any]]:
        """The answers (scores and comment only: never who answered) of a program given between two ISO days."""
        return await self._db[SURVEYS].find({"answered_on": {"$gte": first, "$lte": last}, "program": program},
                                            {"answers": 1, "comment": 1}).to_list(None)
