"""Pure rules of the long-term care lots: the table, routing, the shared assessment fee."""
