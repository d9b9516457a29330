"""The store port (one database per tenant per service) and its adapters: MongoDB wire (FerretDB,
MongoDB) through PyMongo's asyncio API, and an in-memory one for embedded mode and unit tests."""

from chassis.store.port import Store, database_name

__all__ = ["Store", "database_name"]
