"""The report forms: one typed run config per report type, and the checks the config system cannot make.

Each report asset's config holds only the fields its type takes (domain/reports/request.py:
OWN_PARAMETERS), each with a description, closed choices as Enums, and defaults that run as they are,
so the launchpad scaffolds a valid form and its editor refuses `format: pdf` before launch. The field
names are those `report_run_config` writes and the schedules fill, so requests and schedules are
unchanged. A coding overlay's `overlay_key` is required in each request of a batch but optional at the
top of its form: a batch run carries only `requests` (domain/requests.py: batch_run).

What the config system cannot check (dates, a window the wrong way round, addresses, ids) is checked by
`form_problems` with the domain models before any database work, and named as the form names it
(`date_from`, not the event's `from`).
"""

from __future__ import annotations

import functools
from enum import Enum
from typing import Any

import dagster as dg
from pydantic import Field, ValidationError

from domain.reports.request import (
    CUSTOM_COLUMNS,
    OWN_PARAMETERS,
    REPORT_TYPES,
    RUN_FIELDS,
    WINDOW_PARAMETERS,
    Delivery,
    ReportParameters,
    ReportRequest,
    check_parameters,
)
from nextpoint_assets.config_models import BlankIsDefault, choice_enum, config_class, typed_fields

#: The custom report's columns, offered one by one in the form.
CustomColumn = choice_enum("ReportCustomColumn", CUSTOM_COLUMNS)

DESCRIPTIONS = {
    "format": "The report file's format: csv or xlsx.",
    "email": "Addresses the report is emailed to (a link, or the file itself when small), e.g. "
    "[analyst@example.com]. Empty: no email.",
    "date_from": "First day covered, inclusive, in UTC: a date YYYY-MM-DD, or an ISO 8601 date and time "
    "(2024-03-01T09:30:00Z). Empty: from the beginning.",
    "date_to": "Last day covered, inclusive, in UTC: a date YYYY-MM-DD (the whole day), or an ISO 8601 "
    "date and time. Not before date_from. Empty: up to now.",
    "event_id": "The REPORT_REQUESTED event this run answers (set by the request sensor). Leave empty.",
    "user_id": "The id of the user who asked for the report (set by the request sensor). Leave empty.",
    "columns": "The columns of the report, in this order. Empty: all, in the default order.",
    "actions": "Only activity of these actions: lower-case names such as login or view_exhibit. "
    "Empty: every action.",
    "user_ids": "Only activity of these users (user ids, whole numbers above 0). Empty: every user.",
    "relevancy": "Only exhibits whose latest relevancy decision is one of these. Empty: every exhibit.",
    "case_ids": "The cases to cover (case ids of this case's account, whole numbers above 0). "
    "Empty: this case only.",
    "overlay_key": "Required. The uploaded DAT or CSV load file to apply, as a key under this case "
    "(e.g. uploads/overlay.dat).",
    "match_by": "How a load file row finds its exhibit: auto (Bates when the file has a BEGBATES column, "
    "else control number), bates or control_number.",
    "dry_run": "Check the load file and report what would change, without changing any coding.",
    "active_only": "Skip cases the core database does not list as active (the weekly schedule sets it).",
    "requests": "Several requests for this one case, each made, delivered and announced on its own "
    "(set by the request sensor). Leave empty.",
}

#: The form's names for the domain's aliases (`from` -> `date_from`), for messages.
_FORM_NAMES = {info.alias: name for name, info in ReportParameters.model_fields.items() if info.alias}


def _camel(report_type: str) -> str:
    return "".join(part.title() for part in report_type.split("_"))


def _request_fields(report_type: str, *, top: bool) -> dict[str, Any]:
    own = OWN_PARAMETERS.get(report_type, ())
    required = ("overlay_key",) if report_type == "coding_overlay" and not top else ()
    return {
        **typed_fields(Delivery, ("format", "email"), DESCRIPTIONS, enum_prefix="Report"),
        **typed_fields(
            ReportParameters,
            (*WINDOW_PARAMETERS, *own),
            DESCRIPTIONS,
            enum_prefix="Report",
            kinds={"columns": list[CustomColumn]},
            required=required,
        ),
        # Schedules and the UI make reports no event asked for: no event id.
        **typed_fields(ReportRequest, RUN_FIELDS, DESCRIPTIONS, enum_prefix="Report", optional=("event_id",)),
    }


@functools.cache
def request_config(report_type: str) -> type[dg.Config]:
    """One request of `report_type` as run config (an item of `requests`)."""
    return config_class(
        f"{_camel(report_type)}RequestConfig",
        f"One {report_type} report request.",
        _request_fields(report_type, top=False),
        BlankIsDefault,
    )


@functools.cache
def report_config(report_type: str) -> type[dg.Config]:
    """The form of the `{report_type}_report` asset: one request's fields, or `requests`, for one case."""
    item = request_config(report_type)
    return config_class(
        f"{_camel(report_type)}ReportConfig",
        f"What the {report_type} report covers and where it goes. The defaults make a valid report"
        + (" once overlay_key names the load file." if report_type == "coding_overlay" else "."),
        {
            **_request_fields(report_type, top=True),
            "active_only": (bool, Field(False, description=DESCRIPTIONS["active_only"])),
            "requests": (list[item], Field([], description=DESCRIPTIONS["requests"])),
        },
        BlankIsDefault,
    )


REPORT_CONFIGS = {report_type: report_config(report_type) for report_type in REPORT_TYPES}


def plain(value: Any) -> Any:
    """A config value with its Enum members as their values (the domain models take plain strings)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def form_values(config: dg.Config) -> dict[str, Any]:
    """The fields a request config carries, as plain values (no `requests`, no `active_only`)."""
    return {
        name: plain(getattr(config, name))
        for name in type(config).model_fields
        if name not in ("requests", "active_only")
    }


def _form_text(text: str) -> str:
    """A domain message in the form's words: `'from'` -> `date_from`, `parameters.overlay_key` -> ..."""
    text = text.removeprefix("Value error, ").replace("parameters.", "")
    for alias, name in _FORM_NAMES.items():
        text = text.replace(f"'{alias}'", name)
    return text


def _named_field(text: str) -> str:
    """The form field a message names first (`a column is named twice` -> columns), else `parameters`."""
    found = [
        (text.find(word), name)
        for name in ReportParameters.model_fields
        for word in (name, name.removesuffix("s"))
        if word in text
    ]
    return min(found)[1] if found else "parameters"


def _problems(exc: ValidationError, values: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in exc.errors():
        loc = [_FORM_NAMES.get(str(p), str(p)) for p in error["loc"]]
        text = _form_text(error["msg"])
        if loc:
            field, line = loc[0], f"{'.'.join(loc)}: {text}"
        else:  # a rule over several fields (the window): name them with their values
            field, line = _named_field(text), text
            for name in WINDOW_PARAMETERS:
                if values.get(name):
                    line = line.replace(name, f"{name} ({values[name]})", 1)
        found[field] = "; ".join(filter(None, [found.get(field), line]))
    return found


def form_problems(report_type: str, values: dict[str, Any]) -> dict[str, str]:
    """What is wrong with one request's form values, by form field name ({} when nothing is): the
    domain's own checks (ReportParameters, Delivery, check_parameters), in the form's words."""
    problems: dict[str, str] = {}
    try:
        Delivery.model_validate({k: values[k] for k in Delivery.model_fields if k in values})
    except ValidationError as exc:
        problems.update(_problems(exc, values))
    user_id = values.get("user_id")
    if user_id is not None and user_id <= 0:
        problems["user_id"] = "user_id: a user id is a whole number above 0"
    event_id = values.get("event_id")
    if event_id is not None and not 0 < len(event_id) <= 200:
        problems["event_id"] = "event_id: an event id has 1 to 200 characters"
    try:
        params = ReportParameters.model_validate(
            {k: values[k] for k in ReportParameters.model_fields if k in values}
        )
    except ValidationError as exc:
        problems.update(_problems(exc, values))
    else:
        try:
            check_parameters(report_type, params)
        except ValueError as exc:
            text = _form_text(str(exc))
            field = _named_field(text)
            problems[field] = text if field in text else f"{field}: {text}"
    return problems


def form_failure(title: str, problems: dict[str, str], event_id: str | None = None) -> dg.Failure:
    """One line naming each wrong field, as a Failure the retry policy leaves alone."""
    return dg.Failure(
        description=f"The {title.lower()} report was not started: " + "; ".join(problems.values()),
        metadata={
            "fields": ", ".join(problems),
            "problems": dg.MetadataValue.json(problems),
            **({"request_event_id": event_id} if event_id else {}),
        },
        allow_retries=False,
    )
