"""The composition root: settings, URLs, the dependency container and the HTTP API."""
