"""Fixtures shared by every test: the demo-shaped documents the expectations are computed from."""
