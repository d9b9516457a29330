"""The critical illness room's use cases (大病保险): claims.py settles claims on the person's year account and
records review outcomes (`CriticalService`); statements.py keeps the statements, payables to persons,
reconciliations and payments (`CriticalStatements`), posting to the fund room's books. Called by api.py; they call
domain/ and store.py, and the fund room's service for the dedicated account."""
