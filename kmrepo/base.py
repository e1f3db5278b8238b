"""The declarative base every area's models share, and small helpers for models.

Each area keeps its tables in its own ``models.py``; :func:`all_models` imports them
all, so that Alembic and ``create_all`` see the whole schema.
"""

from __future__ import annotations

from importlib import import_module

from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase

#: The areas that own tables, in import order (later ones refer to earlier ones).
AREAS_WITH_MODELS = ("accounts", "library", "training", "corner", "plans")


class Base(DeclarativeBase):
    pass


def all_models() -> type[Base]:
    """Import every area's models and return :class:`Base` (its ``metadata`` then holds
    every table)."""
    for area in AREAS_WITH_MODELS:
        import_module(f"kmrepo.{area}.models")
    return Base


def named(session, model, name: str):
    """The ``model`` row (Department, Tag or KnowledgeItem: anything with a unique
    ``name``) called ``name``, added to ``session`` if there is none yet."""
    obj = session.scalar(select(model).where(model.name == name))
    if obj is None:
        obj = model(name=name)
        session.add(obj)
    return obj
