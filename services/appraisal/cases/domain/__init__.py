"""Pure rules of an appraisal case (鉴定案件): the draw, the opinions, the conclusion and the qualification it grants,
the appraisal clock and deadline, the case as answered. No I/O, no drivers."""
