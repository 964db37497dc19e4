"""Benchmarks that print figures: ``make bench`` (``python -m bench [name …]``).

Never part of ``make test``: the figures depend on the machine, so they are printed next to
their targets rather than asserted.
"""
