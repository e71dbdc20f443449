"""Building blocks of ``bench/artifacts.py``: payloads, the artifact client, probes, the report."""
