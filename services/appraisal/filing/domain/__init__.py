"""Pure rules of the provincial filing (备案): its explicit states and how a qualification's changes move them."""
