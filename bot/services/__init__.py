"""Use-cases: one function each, plain values in and out, no Discord objects."""
