"""The anomaly checks' pure statistics (anomalies.py) and their reason codes (reasons.py)."""
