"""Dagster run config classes generated from the domain's request models, so their fields are written once.

A request model (domain/stamps/request.py, domain/reports/request.py) says which fields a request
has, their defaults and their checks. The config class made from it here has the same fields and
defaults, with loose types: a choice (`Literal`) is a string, and no check runs while Dagster reads
the config. The asset checks the request with the domain model itself, so a bad request reaches it
and is announced (STAMP_FAILED, REPORT_FAILED) rather than refused by the launcher unseen.

`typed_fields` is the form an analyst fills in the launchpad (the report assets): each choice becomes
an `Enum` (`choice_enum`, names equal to values, so run config still writes `format: csv`), which the
launchpad offers and its editor checks before launch. That is safe for requests because the request
sensor validates every event with the same domain model before it makes a run: what an event may
carry, the form accepts.
"""

from __future__ import annotations

import functools
import types
from enum import StrEnum
from typing import Any, Literal, Union, get_args, get_origin

import dagster as dg
from pydantic import BaseModel, Field, create_model, model_validator
from pydantic_core import PydanticUndefined


@functools.cache
def choice_enum(name: str, values: tuple[str, ...]) -> type[StrEnum]:
    """A closed choice as an Enum whose member names are its values: Dagster's run config names a member
    (`format: csv`), and a StrEnum member equals its value wherever the domain compares strings.
    Cached: one class per choice, however many config classes use it (Dagster refuses two config
    types of one name in a job)."""
    return StrEnum(name, {value: value for value in values})


def _loose(annotation: Any, enum_name: str | None = None) -> Any:
    """The config type of a model field's type: choices become their base type (or, given `enum_name`,
    an Enum of that name), models config classes."""
    origin = get_origin(annotation)
    if origin is Literal:
        return choice_enum(enum_name, get_args(annotation)) if enum_name else type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = get_args(annotation)
        loose = [_loose(a, enum_name) for a in args if a is not type(None)]
        if len(loose) != 1:
            raise TypeError(f"no config type for {annotation!r}")
        return loose[0] | None if type(None) in args else loose[0]
    if origin is list:
        return list[_loose(get_args(annotation)[0], enum_name)]
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


def typed_fields(
    model: type[BaseModel],
    names: tuple[str, ...],
    descriptions: dict[str, str],
    *,
    enum_prefix: str,
    kinds: dict[str, Any] | None = None,
    optional: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The fields `names` of `model` as a typed form: a `Literal` choice becomes an Enum named
    `enum_prefix` + the field's name in CamelCase (`kinds` gives a field another type, e.g. an Enum
    of a list the domain checks by hand); defaults are the model's, except that `optional` fields
    default to None and `required` ones have none. Every field needs its description."""
    fields: dict[str, Any] = {}
    for name in names:
        info = model.model_fields[name]
        enum_name = enum_prefix + "".join(part.title() for part in name.split("_"))
        kind = (kinds or {}).get(name) or _loose(info.annotation, enum_name)
        if name in required:
            default: Any = ...
            kind = next(a for a in get_args(kind) if a is not type(None)) if _is_optional(kind) else kind
        elif name in optional:
            default = None
            kind = kind | None
        elif info.default_factory is not None:
            default = info.default_factory()
        else:
            default = info.default
            if isinstance(kind, type) and issubclass(kind, StrEnum) and isinstance(default, str):
                default = kind(default)  # the launchpad shows the member's name
        fields[name] = (kind, Field(default, description=descriptions[name]))
    return fields


def _is_optional(kind: Any) -> bool:
    return get_origin(kind) in (Union, types.UnionType) and type(None) in get_args(kind)


class BlankIsDefault(dg.Config):
    """A form where a field left blank (`email:` with no value, which YAML reads as null) takes its
    default. Dagster's schema lets every defaulted field be null; without this the run would fail on
    the config class's own validation, under a stack trace, for a field the user merely emptied."""

    @model_validator(mode="before")
    @classmethod
    def _blank_is_default(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        return {
            k: v
            for k, v in values.items()
            if v is not None
            or k not in cls.model_fields
            or cls.model_fields[k].is_required()
            or _is_optional(cls.model_fields[k].annotation)
        }


def config_class(
    name: str, doc: str, fields: dict[str, Any], base: type[dg.Config] = dg.Config
) -> type[dg.Config]:
    return create_model(name, __base__=base, __doc__=doc, **fields)


@functools.cache
def config_of(model: type[BaseModel], exclude: tuple[str, ...] = ()) -> type[dg.Config]:
    """The config class of `model`, named after it (`StampTemplate` -> `StampTemplateConfig`)."""
    return config_class(f"{model.__name__}Config", model.__doc__ or "", config_fields(model, exclude=exclude))
