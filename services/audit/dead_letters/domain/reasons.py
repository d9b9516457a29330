"""The dead-letter replays' specific error codes (a client re-sends or re-numbers on them)."""

from __future__ import annotations

ERRORS = {
    "trail_busy": "other writers kept taking the trail's next positions; record the replay again",
    "replay_recorded_otherwise": "this attempt of this parked message is recorded with other details; a new replay "
                                 "is the next attempt",
}
