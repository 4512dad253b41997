"""docs/erd.md must name every table and column of the chatbot app."""

import re
from pathlib import Path

from django.apps import apps

ERD = Path(__file__).resolve().parents[2] / "docs" / "erd.md"


def entities() -> dict[str, set[str]]:
    text = ERD.read_text()
    diagram = text.split("```mermaid", 1)[1].split("```", 1)[0]
    found: dict[str, set[str]] = {}
    for name, body in re.findall(r"^\s*(\w+)\s*\{(.*?)^\s*\}", diagram, re.S | re.M):
        found[name] = {line.split()[1] for line in body.strip().splitlines() if line.strip()}
    return found


def test_every_model_and_column_is_in_the_erd() -> None:
    drawn = entities()
    for model in apps.get_app_config("chatbot").get_models():
        if model._meta.proxy:  # another admin view of a table, no table of its own
            continue
        assert model.__name__ in drawn, f"{model.__name__} is missing from docs/erd.md"
        columns = {f.column for f in model._meta.concrete_fields}
        missing = columns - drawn[model.__name__]
        assert not missing, f"{model.__name__} columns missing from docs/erd.md: {missing}"


def test_the_erd_names_no_column_that_does_not_exist() -> None:
    models = {m.__name__: m for m in apps.get_app_config("chatbot").get_models()}
    for name, columns in entities().items():
        assert name in models, f"docs/erd.md draws {name}, which is no model"
        real = {f.column for f in models[name]._meta.concrete_fields}
        assert columns <= real, f"docs/erd.md invents {columns - real} on {name}"
