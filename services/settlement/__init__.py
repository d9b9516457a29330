"""settlement (结算): policies, accumulators, claims and adjudication, statements, payments, fund ledgers."""
