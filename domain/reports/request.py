"""Report parameters and REPORT_REQUESTED events (docs/events.md), validated first.

Every parameter becomes a typed value here (a date, a whole number, a name from a
fixed list); queries bind them as SQL parameters, so no request text reaches SQL.
A report job's run config is flat (`report_run_config`): the delivery's and the parameters'
fields side by side, with the request's `event_id` and `user_id`, so the UI and the
schedules fill in the same fields an event does.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.errors import PermanentError, validation_problems
from domain.event_header import EventHeader, parse_body, request_name

REPORT_TYPES = (
    "custom",
    "user_activity",
    "transcript_metadata",
    "deposition_summary",
    "page_count",
    "review_log",
    "privilege_log",
    "coding_overlay",
    "grid_data",
)
FORMATS = ("csv", "xlsx")
RELEVANCY = ("relevant", "not_relevant", "hot", "needs_review")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+$")
MAX_IDS = 10_000
#: The custom report's columns, in their default order (domain/reports/custom.py).
CUSTOM_COLUMNS = (
    "activity_id",
    "occurred_at",
    "action",
    "user_id",
    "user_name",
    "user_email",
    "case_id",
    "case_name",
    "case_status",
    "account_id",
    "account_name",
    "details",
)


def _instant(value: str, end_of_day: bool) -> datetime:
    """A naive UTC datetime: a bare date means its first (from) or past its last (to) instant."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end_of_day else day, time())
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO 8601 date and time") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment + timedelta(microseconds=1) if end_of_day else moment


class ReportParameters(BaseModel):
    """What a report is asked for. Names follow the event's `parameters` object."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    date_from: str | None = Field(default=None, alias="from")
    date_to: str | None = Field(default=None, alias="to")
    #: user_activity: the cases to cover (same account as the requesting case); default: the case itself
    case_ids: list[int] = Field(default_factory=list, max_length=MAX_IDS)
    #: custom: the columns to include, in order (default: all)
    columns: list[str] = Field(default_factory=list, max_length=50)
    #: custom: only these actions / users
    actions: list[str] = Field(default_factory=list, max_length=100)
    user_ids: list[int] = Field(default_factory=list, max_length=MAX_IDS)
    #: page_count: only exhibits whose latest relevancy decision is one of these
    relevancy: list[Literal[RELEVANCY]] = Field(default_factory=list)  # type: ignore[valid-type]
    #: coding_overlay: the uploaded load file (a key relative to case_{id}/) and what to match on
    overlay_key: str | None = Field(default=None, max_length=1024)
    match_by: Literal["auto", "bates", "control_number"] = "auto"
    #: coding_overlay: check and report, change nothing
    dry_run: bool = False

    @field_validator("date_from", "date_to")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is not None:
            _instant(value, False)
        return value

    @field_validator("case_ids", "user_ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        if any(i <= 0 for i in value):
            raise ValueError("ids are positive whole numbers")
        return sorted(set(value))

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: list[str]) -> list[str]:
        if any(not re.fullmatch(r"[a-z_]{1,64}", a) for a in value):
            raise ValueError("actions are lower-case names such as 'login' or 'view_exhibit'")
        return value

    @model_validator(mode="after")
    def _window(self) -> ReportParameters:
        if (
            self.date_from
            and self.date_to
            and self.start is not None
            and self.end is not None
            and self.start >= self.end
        ):
            raise ValueError("'from' is after 'to'")
        return self

    @property
    def start(self) -> datetime | None:
        return _instant(self.date_from, False) if self.date_from else None

    @property
    def end(self) -> datetime | None:
        """Exclusive upper bound."""
        return _instant(self.date_to, True) if self.date_to else None

    def window_text(self) -> str:
        if not (self.date_from or self.date_to):
            return "all dates"
        return f"{self.date_from or 'the beginning'} to {self.date_to or 'now'}"


class Delivery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: list[str] = Field(default_factory=list, max_length=20)
    format: Literal["csv", "xlsx"] = "csv"

    @field_validator("email", mode="before")
    @classmethod
    def _emails(cls, value):
        if value is None:
            return []
        values = [value] if isinstance(value, str) else list(value)
        for address in values:
            if not isinstance(address, str) or not EMAIL.match(address) or len(address) > 254:
                raise ValueError(f"{address!r} is not an email address")
        return values


class ReportRequest(EventHeader):
    """A REPORT_REQUESTED event body."""

    model_config = ConfigDict(extra="ignore")

    event_type: Literal["REPORT_REQUESTED"] = "REPORT_REQUESTED"
    report_type: Literal[REPORT_TYPES]  # type: ignore[valid-type]
    user_id: int | None = Field(default=None, gt=0)
    parameters: ReportParameters = Field(default_factory=ReportParameters)
    delivery: Delivery = Field(default_factory=Delivery)
    #: user_activity may name its cases at the top level (events.md) as well as in parameters
    case_ids: list[int] = Field(default_factory=list, max_length=MAX_IDS)

    @model_validator(mode="after")
    def _consistent(self) -> ReportRequest:
        if self.case_ids:
            if any(i <= 0 for i in self.case_ids):
                raise ValueError("case_ids are positive whole numbers")
            self.parameters.case_ids = sorted(set(self.parameters.case_ids) | set(self.case_ids))
        check_parameters(self.report_type, self.parameters)
        return self

    @property
    def request_name(self) -> str:
        return request_name(self.event_id)


#: The parameters only one report type takes (`check_parameters` refuses them elsewhere); every type
#: takes the window (`date_from`, `date_to`). The report forms of the UI are made from this.
OWN_PARAMETERS: dict[str, tuple[str, ...]] = {
    "custom": ("columns", "actions", "user_ids"),
    "user_activity": ("case_ids",),
    "page_count": ("relevancy",),
    "coding_overlay": ("overlay_key", "match_by", "dry_run"),
}
WINDOW_PARAMETERS = ("date_from", "date_to")


def check_parameters(report_type: str, params: ReportParameters) -> None:
    """Parameters that only make sense for one report type must not be silently ignored."""
    if report_type not in REPORT_TYPES:
        raise ValueError(f"unknown report type {report_type!r}; known: {', '.join(REPORT_TYPES)}")
    if report_type == "coding_overlay" and not params.overlay_key:
        raise ValueError("a coding overlay needs parameters.overlay_key, the uploaded DAT or CSV load file")
    if report_type != "coding_overlay" and (params.overlay_key or params.dry_run):
        raise ValueError("overlay_key and dry_run belong to coding_overlay")
    if report_type != "user_activity" and params.case_ids:
        raise ValueError("case_ids belong to user_activity")
    unknown = [c for c in params.columns if c not in CUSTOM_COLUMNS]
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; choose from {', '.join(CUSTOM_COLUMNS)}")
    if len(set(params.columns)) != len(params.columns):
        raise ValueError("a column is named twice")
    if report_type != "custom" and (params.columns or params.actions or params.user_ids):
        raise ValueError("columns, actions and user_ids belong to the custom report")
    if report_type != "page_count" and params.relevancy:
        raise ValueError("relevancy belongs to page_count")


def parse_report_request(body: dict, case_id: int | None = None) -> ReportRequest:
    """A validated request, or a PermanentError naming every problem."""
    if not isinstance(body, dict):
        raise PermanentError("The report request is not a JSON object.")
    return parse_body(ReportRequest, body, "report request", case_id)


def report_job_name(report_type: str) -> str:
    return f"{report_type}_report_job"


def report_asset_name(report_type: str) -> str:
    return f"{report_type}_report"


#: The request's own fields a report run carries besides the delivery's and the parameters'.
RUN_FIELDS = ("event_id", "user_id")


def report_run_config(request: ReportRequest) -> dict[str, Any]:
    """The run config of the report job that makes `request`: only what differs from the defaults,
    besides the format, recipients and event id (the failure sensor reads those)."""
    p = request.parameters
    config: dict[str, Any] = {
        "format": request.delivery.format,
        "email": list(request.delivery.email),
        "event_id": request.event_id,
        **({"user_id": request.user_id} if request.user_id else {}),
        **({"date_from": p.date_from} if p.date_from else {}),
        **({"date_to": p.date_to} if p.date_to else {}),
        **{
            name: getattr(p, name)
            for name in ("case_ids", "columns", "actions", "user_ids", "relevancy")
            if getattr(p, name)
        },
        **(
            {"overlay_key": p.overlay_key, "match_by": p.match_by, "dry_run": p.dry_run}
            if request.report_type == "coding_overlay"
            else {}
        ),
    }
    return {"ops": {report_asset_name(request.report_type): {"config": config}}}


def parse_parameters(report_type: str, values: dict) -> ReportParameters:
    try:
        params = ReportParameters.model_validate(values)
        check_parameters(report_type, params)
    except ValidationError as exc:
        raise PermanentError(f"The report parameters are invalid: {validation_problems(exc)}") from None
    except ValueError as exc:
        raise PermanentError(f"The report parameters are invalid: {exc}") from None
    return params


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise PermanentError(f"Unknown report format {fmt!r}; choose csv or xlsx.")
    return fmt


def check_month(month: str) -> tuple[datetime, datetime]:
    """'YYYY-MM' -> [first instant, first instant of the next month)."""
    if not MONTH.match(month or ""):
        raise PermanentError(f"{month!r} is not a month (YYYY-MM).")
    year, mon = int(month[:4]), int(month[5:])
    start = datetime(year, mon, 1)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1)
    return start, end
