"""The reports' pure rules: reporting periods and due dates (periods.py, which every room reads periods with),
the figures (figures.py), the violations section (violations.py), settings and views."""
