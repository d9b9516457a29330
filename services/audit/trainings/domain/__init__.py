"""The trainings' pure rules."""
