"""Chirp's benchmark: seeded databases, HTTP load with wrk, and DB-only query timings.

Run it with ``.venv/bin/python -m bench.run`` (see README.md). It is not part of the test suite.
"""
