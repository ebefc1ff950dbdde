"""Dagster run config classes generated from the domain's request models, so their fields are written once.

A request model (domain/stamps/request.py, domain/reports/request.py) says which fields a request
has, their defaults and their checks. The config class made from it here has the same fields and
defaults, with loose types: a choice (`Literal`) is a string, and no check runs while Dagster reads
the config. The asset checks the request with the domain model itself, so a bad request reaches it
and is announced (STAMP_FAILED, REPORT_FAILED) rather than refused by the launcher unseen.
"""

from __future__ import annotations

import functools
import types
from typing import Any, Literal, Union, get_args, get_origin

import dagster as dg
from pydantic import BaseModel, Field, create_model
from pydantic_core import PydanticUndefined


def _loose(annotation: Any) -> Any:
    """The config type of a model field's type: choices become their base type, models config classes."""
    origin = get_origin(annotation)
    if origin is Literal:
        return type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = get_args(annotation)
        loose = [_loose(a) for a in args if a is not type(None)]
        if len(loose) != 1:
            raise TypeError(f"no config type for {annotation!r}")
        return loose[0] | None if type(None) in args else loose[0]
    if origin is list:
        return list[_loose(get_args(annotation)[0])]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return config_of(annotation)
    return annotation


def _choices(annotation: Any) -> tuple:
    """The choices of a `Literal` field (also inside `| None` or `list[...]`), for the UI to show."""
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return next((c for c in map(_choices, get_args(annotation)) if c), ())


def _default(value: Any) -> Any:
    return (
        config_of(type(value)).model_validate(value.model_dump()) if isinstance(value, BaseModel) else value
    )


def config_fields(
    model: type[BaseModel], *, only: tuple[str, ...] | None = None, exclude: tuple[str, ...] = (), optional=()
) -> dict[str, Any]:
    """The fields of `model` (or `only` these, less `exclude`) as config fields; those named in
    `optional` default to None even where the model requires them."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if (only is not None and name not in only) or name in exclude:
            continue
        kind = _loose(info.annotation)
        if name in optional:
            default: Any = None
            kind = kind | None
        elif info.default_factory is not None:
            default = _default(info.default_factory())
        else:
            default = ... if info.default is PydanticUndefined else _default(info.default)
        choices = _choices(info.annotation)
        described = info.description or (f"One of: {', '.join(map(str, choices))}." if choices else None)
        fields[name] = (kind, Field(default, description=described))
    return fields


def config_class(name: str, doc: str, fields: dict[str, Any]) -> type[dg.Config]:
    return create_model(name, __base__=dg.Config, __doc__=doc, **fields)


@functools.cache
def config_of(model: type[BaseModel], exclude: tuple[str, ...] = ()) -> type[dg.Config]:
    """The config class of `model`, named after it (`StampTemplate` -> `StampTemplateConfig`)."""
    return config_class(f"{model.__name__}Config", model.__doc__ or "", config_fields(model, exclude=exclude))
