"""Pure logic: no Discord, no I/O."""
