"""Helpers of ``bench/ui.py``: the data set, its seeding into both stores, and the browser."""
