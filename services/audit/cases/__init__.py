"""Leads and cases (线索与案件, Karamay tender 二(一)1(7) and 3(1)): leads from superiors (上级交办), other
departments (部门移交) and public tips (群众举报: intake's complaints of kind `tip`, through complaint.filed) →
verification (核查: substantiated or not, by an inspector) → a case (案件) opened from a substantiated lead, or directly
from an inspection's findings → its file (案卷): documents with their sha256, findings coded from the tender's
violation catalogue, decisions (处理决定), recoveries (追回) with their receipts, the closing (结案) → the case file
exported as a zip with a manifest and checksums (like archive's handover).

Only the tenants of program km-supervision have any of it: every other tenant's call is 404 before its body is read.
Events in (handlers.py, through audit's batch handler): complaint.filed (kind tip → a lead, once per complaint),
inspection.reported (what a case opened from an inspection starts from). Events out: case.opened, case.closed.
Doors: /v1/supervision/leads, /v1/supervision/cases (api.py)."""
