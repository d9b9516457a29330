"""The inspections room's pure rules (现场检查): settings, the violation catalogue, deadlines, draws, coverage, the
inspection's checks and the dossier."""
