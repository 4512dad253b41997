"""Adapters: the ports implemented with Django's ORM and the LLM providers' SDKs."""
