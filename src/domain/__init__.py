"""The chatbot's entities and rules: pure Python, standard library only."""
