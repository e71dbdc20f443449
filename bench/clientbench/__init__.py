"""Helpers of ``bench/client.py``: throwaway client venvs and the logging-loop worker."""
