"""The yearly score's pure rules: the evaluation table's items, the score from its deductions, the grade, the due
dates (score.py); reasons and error codes (reasons.py)."""
