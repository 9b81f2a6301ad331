"""The SpaceONE 2.x line: its wire (`wire`, a descriptor pool of its own beside 1.x's stubs)."""
