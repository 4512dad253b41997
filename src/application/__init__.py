"""Use cases: what members can do, written against ports only."""
