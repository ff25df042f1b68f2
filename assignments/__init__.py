"""One package per homework; each holds a ``checker.py`` that ``grader.registry`` discovers."""
