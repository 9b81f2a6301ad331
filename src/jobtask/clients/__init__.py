"""Outbound clients: SpaceONE identity (`identity`), asked by AUTH_MODE=spaceone."""
