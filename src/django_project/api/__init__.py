"""The HTTP API: thin DRF views over the use cases, one error table, one pagination scheme."""
