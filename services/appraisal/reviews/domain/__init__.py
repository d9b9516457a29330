"""Pure rules of the re-review (复审) and revocation (撤销) of a qualification: when its notice falls due, the next
review date after a passed re-review, the worklist row. No I/O, no drivers."""
