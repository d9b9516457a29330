"""Pure rules of the disability assessment: the scale as data and the grading."""
