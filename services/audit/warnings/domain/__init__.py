"""Warnings' pure rules: the written warning's deadline, overdue, the spending-growth check, settings and views."""
