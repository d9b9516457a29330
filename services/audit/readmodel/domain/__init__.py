"""The read model's pure rules: the projection of events into documents and the statuses derived when read."""
