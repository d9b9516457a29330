"""Dead-letter replays' pure rules: what a replay record hashes and how it looks (replays.py), error codes."""
