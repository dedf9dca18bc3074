"""Load a scenario file: parse YAML, validate the schema, then run the business checks.

All problems of a stage are reported together, each located ``file:line: key.path``.
The business checks run only on a schema-valid scenario, since they need typed data.
"""

from __future__ import annotations

import datetime as dt
import difflib
from functools import cache
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from evfab import _scenario as sm
from evfab._checks import run_checks
from evfab._errors import Problem, ScenarioError
from evfab._yamlsrc import SourceDoc, format_path, is_date, parse_yaml, read_yaml


def _unwrap_annotated(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


_OFFER_CLASSES: dict[str, type[BaseModel]] = {
    str(get_args(cls.model_fields["kind"].annotation)[0]): cls
    for cls in get_args(_unwrap_annotated(sm.Offer))
}
"""Offer class by ``kind``, read from the ``Offer`` union so new kinds need no change here."""
_OFFER_KINDS = tuple(_OFFER_CLASSES)

_WHAT: dict[type[BaseModel], str] = {
    sm.Scenario: "the scenario",
    sm.Source: "a source",
    sm.PolicyPeriod: "a policy period",
    sm.Share: "an owner entry",
    sm.Company: "a company",
    sm.Licence: "a licence",
    sm.Phase: "a phase",
    sm.Plant: "a plant",
    sm.Program: "a program",
    sm._Duration: "a duration",
    **{cls: f"a {kind} offer" for kind, cls in _OFFER_CLASSES.items()},
}
"""How hints name the entry a key belongs to."""

_YEAR_FIELDS = frozenset({"committed", "demand", "capacity"})
"""Mappings whose keys are years."""


@cache
def _all_field_names() -> frozenset[str]:
    names: set[str] = set()
    for obj in vars(sm).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(obj.model_fields)
    return frozenset(names)


def _internal(part: str | int) -> bool:
    """Pydantic's own loc parts: validator wrappers and the ``[key]`` marker."""
    return isinstance(part, str) and (
        part == "[key]" or part.startswith(("function-", "constrained-"))
    )


def _clean_loc(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's internal loc parts: union tags, validator wrappers, ``[key]``."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        if part in _OFFER_KINDS and i == 2 and loc[0] == "offers":
            continue
        if _internal(part):
            continue
        out.append(part)
    return tuple(out)


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` from a type."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model that the (raw pydantic) ``loc`` points into, if any."""
    tp: Any = sm.Scenario
    for part in loc:
        if _internal(part):
            continue
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if not isinstance(part, str) or part not in tp.model_fields:
                return None
            tp = tp.model_fields[part].annotation
        elif get_origin(tp) is list:
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) in (Union, UnionType) and part in _OFFER_CLASSES:
            tp = _OFFER_CLASSES[str(part)]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _yaml_type(value: Any) -> str:
    """How a YAML user would name the type of ``value``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if is_date(value):
        return "a date"
    return type(value).__name__


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _message(err: dict[str, Any], raw: tuple[str | int, ...]) -> str:
    """Say what is wrong in the scenario's words, not pydantic's."""
    kind, msg, value = err["type"], err["msg"], err.get("input")
    ctx = err.get("ctx") or {}
    scalar = isinstance(value, str | int | float | dt.date)
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return f"unknown offer kind {ctx.get('tag')!r}"
    if kind == "union_tag_not_found":
        return "offer has no `kind`"
    if "[key]" in raw:
        return f"key {_shown(value)} is not a year" if kind.startswith("int") else f"key: {msg}"
    if kind == "string_pattern_mismatch":
        return f"{_shown(value)} is not a valid id"
    if kind.startswith(("date", "datetime")):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{_shown(value)} is a number, not a date"
        if isinstance(value, str):
            return f"{value!r} is not a valid date"
        return str(msg)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if _model_at(raw) is sm._Duration:
            return f"expected months (a number, or min/mode/max), got {_yaml_type(value)}"
        return f"expected a mapping of `key: value` lines, got {_yaml_type(value)}"
    if kind == "list_type":
        return f"expected a list, got {_yaml_type(value)}"
    if scalar and "got " not in msg:
        return f"{msg}, got {_shown(value)}"
    return str(msg)


def _hint(err: dict[str, Any], path: tuple[str | int, ...], raw: tuple[str | int, ...]) -> str:
    """Say how to fix it."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    field = next((p for p in reversed(path) if isinstance(p, str)), "")
    if kind == "missing":
        return f"add `{field}:`"
    if kind == "extra_forbidden":
        return _unknown_key_hint(field, _model_at(raw[:-1]))
    if kind == "union_tag_invalid":
        close = difflib.get_close_matches(str(ctx.get("tag")), _OFFER_KINDS, n=1)
        head = f"did you mean {close[0]!r}? " if close else ""
        return head + "kind is one of: " + ", ".join(_OFFER_KINDS)
    if kind == "union_tag_not_found":
        return "add `kind:`, one of: " + ", ".join(_OFFER_KINDS)
    if "[key]" in raw:
        return "keys are years, e.g. 2024"
    if kind == "string_pattern_mismatch":
        return "use letters, digits, `_`, `-` and `.`, starting with a letter or digit"
    if kind == "string_type":
        return "put the value in quotes"
    if kind == "too_short":
        return "add at least one entry"
    if kind.startswith(("date", "datetime")) or field in (
        "as_of",
        "since",
        "ready",
        "opened",
        "target_sop",
        "applied_on",
        "dormant_since",
        "construction_start",
    ):
        return "write dates as YYYY-MM-DD or YYYY-MM"
    if "probability" in field or field in ("share", "capacity_share", "min_fill"):
        return "a fraction between 0 and 1, e.g. 0.5 for 50 %"
    if field == "discount_rate":
        return "a fraction of 1 a year, e.g. 0.08 for 8 %"
    if field == "horizon":
        return "the last planning year, e.g. 2030"
    if field == "currency":
        return "a three-letter ISO code such as CNY"
    if field in _YEAR_FIELDS and kind == "dict_type":
        return "vehicles by year, e.g. `{2024: 50000, 2025: 80000}`"
    if field in _YEAR_FIELDS or field.isdigit():
        return "vehicles per year, a whole number"
    if field in ("min", "mode", "max") or field.endswith("months"):
        return "a number of months above 0" if kind == "greater_than" else "months, 0 or more"
    if kind == "enum":
        return "use one of the listed values"
    if kind in ("bool_parsing", "bool_type"):
        return "write true or false"
    if kind in ("greater_than", "greater_than_equal") and ctx.get("gt", ctx.get("ge")) == 0:
        return "use a positive number" if kind == "greater_than" else "use 0 or more"
    if kind in (
        "int_parsing",
        "float_parsing",
        "int_from_float",
        "int_type",
        "float_type",
        "finite_number",
    ):
        return "write a plain number without units or separators"
    if kind == "list_type":
        return "write a YAML list (lines starting with `- `, or `[a, b]`)"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "write a mapping of `key: value` lines"
    return ""


def _unknown_key_hint(key: str, model: type[BaseModel] | None) -> str:
    if key.isdigit() and len(key) <= 3:
        # `{capacity: 100,000}`: in a flow mapping the comma starts a new key, `000`.
        return "write numbers without thousands separators"
    allowed = set(model.model_fields) if model is not None else set(_all_field_names())
    close = difflib.get_close_matches(key, sorted(allowed - {key}), n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    if model is not None and key in _all_field_names():
        return f"remove it: {_WHAT.get(model, 'this entry')} has no `{key}`"
    return "remove it; `evfab schema` lists the allowed keys"


def _value_at(doc: SourceDoc, path: tuple[str | int, ...]) -> Any:
    """The raw YAML value at ``path``, or None."""
    value = doc.data
    for part in path:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _schema_problems(exc: ValidationError, doc: SourceDoc) -> list[Problem]:
    problems = []
    for e in exc.errors(include_url=False):
        err: dict[str, Any] = dict(e)
        raw: tuple[str | int, ...] = tuple(e["loc"])
        path = _clean_loc(raw)
        if err["type"] in ("union_tag_invalid", "union_tag_not_found") and raw[:1] == ("offers",):
            path = (*path, "kind")
        if path[-1:] in (("min",), ("mode",), ("max",)) and _is_number(_value_at(doc, path[:-1])):
            path = path[:-1]  # a bare number stands for all three: report it once
        problems.append(
            Problem(
                doc.file,
                doc.line_of(path),
                format_path(path),
                _message(err, raw),
                _hint(err, path, raw),
            )
        )
    # One error per location is enough; unions can repeat the same one.
    return list(dict.fromkeys(problems))


def validate_doc(doc: SourceDoc) -> sm.Scenario:
    """Validate a parsed document into a :class:`Scenario`.

    Args:
        doc: Parsed YAML.

    Returns:
        The scenario.

    Raises:
        ScenarioError: With every problem found.
    """
    if not isinstance(doc.data, dict):
        raise ScenarioError(
            [
                Problem(
                    doc.file,
                    1,
                    "",
                    "a scenario must be a mapping of keys",
                    "start with `name:`, `as_of:`, `horizon:` ...",
                )
            ]
        )
    try:
        scenario = sm.Scenario.model_validate(doc.data)
    except ValidationError as exc:
        raise ScenarioError(_schema_problems(exc, doc)) from None
    problems = run_checks(scenario, doc)
    if problems:
        raise ScenarioError(problems)
    return scenario


def load(path: str | Path) -> sm.Scenario:
    """Load and validate a scenario file.

    ``path`` may also be the name of a bundled scenario (``xiaomi-2022``).

    Args:
        path: A YAML file, or a bundled scenario's name.

    Returns:
        The validated, frozen scenario.

    Raises:
        ScenarioError: With every problem found, each located file:line.
    """
    return validate_doc(read_yaml(resolve(path)))


def loads(text: str, file: str = "<string>") -> sm.Scenario:
    """Validate a scenario given as YAML text.

    Args:
        text: The YAML text.
        file: Name used in problem locations.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With every problem found.
    """
    return validate_doc(parse_yaml(text, file))


def bundled() -> dict[str, Path]:
    """Names and paths of the scenarios shipped with evfab."""
    root = resources.files("evfab") / "scenarios"
    return {Path(str(p)).stem: Path(str(p)) for p in root.iterdir() if str(p).endswith(".yaml")}


def resolve(path: str | Path) -> Path:
    """Turn a bundled scenario's name into its path; other paths pass through."""
    p = Path(path)
    if not p.exists() and p.suffix == "" and str(path) in bundled():
        return bundled()[str(path)]
    return p
