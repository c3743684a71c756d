"""Adapters: the real and in-memory implementations of the engine's ports."""
