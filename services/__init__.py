"""The five Jingban services; each owns its store and talks to the others only over gRPC and events."""
