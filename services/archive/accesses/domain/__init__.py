"""Pure rules of access records: an event as the record archive keeps, and the record as the person's file shows it."""
