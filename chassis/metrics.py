"""Prometheus metrics every service exposes at /metrics: requests, events consumed, dead letters,
events relayed from the outbox."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("jingban_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("jingban_http_request_seconds", "HTTP request latency", ["service", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
EVENTS_CONSUMED = Counter("jingban_events_consumed_total", "Events applied by consumers",
                          ["service", "tenant", "type"])
EVENTS_DEAD_LETTERED = Counter("jingban_events_dead_lettered_total", "Messages parked on a dead-letter topic",
                               ["service", "tenant"])
EVENTS_RELAYED = Counter("jingban_events_relayed_total", "Events published from the outbox", ["service", "type"])
