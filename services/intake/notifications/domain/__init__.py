"""Pure notification data: the applicant's message templates."""
