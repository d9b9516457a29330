"""Sampling's pure rules: the reproducible draw and its attainment (sampling.py), a finding's loss and the
carrier's liability (liability.py, reasons in reasons.py), derived ids (ids.py), settings and views."""
