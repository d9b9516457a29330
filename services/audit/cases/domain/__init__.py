"""Leads and cases, pure: the violation catalogue (catalogue.py), leads and their verification (leads.py), the case's
state machine, findings, decisions, recoveries and closing (cases.py), documents (documents.py), the exported case
file with its manifest and checksums (casefile.py); reasons and error codes (reasons.py)."""
