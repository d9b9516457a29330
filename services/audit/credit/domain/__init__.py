"""Credit evaluation, pure: the rules and grades as data (rules.py), the score of an institution's year from its facts
(evaluation.py); reasons and error codes (reasons.py)."""
