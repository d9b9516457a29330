"""Cross-cutting kit every Jingban service stands on: config, identity, bus, store, outbox,
consumers, telemetry, logs, money, working-day calendar, errors, and the service host."""
