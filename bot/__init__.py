"""Bridges: weekly dialogue prompts, private pairings and an opt-in participation log for Discord."""

__version__ = "0.1.0"
