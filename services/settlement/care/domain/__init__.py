"""Pure rules of care services: the catalogue, plans and the checks on service records."""
