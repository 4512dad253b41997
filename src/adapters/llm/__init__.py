"""Chat model providers behind the ChatModel port: one module per provider."""
