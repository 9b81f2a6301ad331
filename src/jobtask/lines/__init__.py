"""The SpaceONE wire lines, one folder each (`v1` today): wire message <-> domain values, the only
code that differs between lines, over the line-agnostic call layer (`jobtask.calls`)."""
