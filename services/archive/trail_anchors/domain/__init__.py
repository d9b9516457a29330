"""Pure rules of the trail's anchors as archive keeps them: the signed bytes (the contract with audit), the check
on receipt, and the kept record. No I/O, no drivers."""
