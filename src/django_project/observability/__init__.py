"""What the service tells its operators: JSON log lines tied to a request id, an access line per
request, and Prometheus metrics at /metrics. Nothing here may import the database or the views:
settings.py imports parts of it."""
