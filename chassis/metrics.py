"""Prometheus metrics every service exposes at /metrics: requests, events consumed, dead letters,
events relayed from the outbox."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("jingban_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("jingban_http_request_seconds", "HTTP request latency", ["service", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
EVENTS_CONSUMED = Counter("jingban_events_consumed_total", "Events applied by consumers",
                          ["service", "tenant", "type"])
EVENTS_DEAD_LETTERED = Counter("jingban_events_dead_lettered_total", "Messages parked on a dead-letter topic",
                               ["service", "tenant"])
EVENTS_RELAYED = Counter("jingban_events_relayed_total", "Events published from the outbox", ["service", "type"])
CONSUMER_RESTARTS = Counter("jingban_consumer_restarts_total", "Consumer sessions restarted after a failure",
                            ["service"])
OUTBOX_PUBLISH_FAILURES = Counter("jingban_outbox_publish_failures_total", "Outbox publish attempts that failed",
                                  ["service"])
OUTBOX_FAILED_DOCUMENTS = Gauge("jingban_outbox_failed_documents", "Documents whose pending events failed to publish",
                                ["service"])
LOOP_RESTARTS = Counter("jingban_loop_restarts_total", "Background loops restarted by the watchdog",
                        ["service", "loop"])
