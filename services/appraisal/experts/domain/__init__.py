"""Pure rules of the expert pool (鉴定专家库): the pool's rows, the program's pool rules and the expert list its agency
approves (专家库审核备案). No I/O, no drivers."""
