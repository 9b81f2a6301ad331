"""SpaceONE 1.x (spaceone.api.inventory.v1, and our jobtask_internal.v1 writer): `requests` parses
a wire message into domain values, `answers` renders domain values as a wire message."""
