"""Pure rules of long-term care supervision: quotas and the sample's pace, the draw, who is in the populations,
the patrol team and record, the plan's targets, breach-handling suggestions, the figures."""
