"""Building blocks of ``bench/tracking.py``: servers, the REST client, workloads and the report."""
