"""Load a scenario file: parse YAML, validate the schema, then run the business checks.

Every problem of every stage is reported together, each located ``file:line: key.path``:
YAML problems that still let the text be read (a duplicate key) do not stop the schema
stage, and when the schema stage fails the business checks still run on the entries that
did validate (:mod:`evfab._load_partial`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from functools import cache
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from evfab import _scenario as sm
from evfab._checks import run_checks
from evfab._errors import Problem, ScenarioError
from evfab._load_partial import partial
from evfab._yamlsrc import SourceDoc, format_path, is_date, parse_yaml, read_yaml


def _strip(tp: Any, metadata: list[Any]) -> Any:
    """Strip ``Annotated`` and ``| None`` from a type, adding the constraints found to ``metadata``."""
    while True:
        if get_origin(tp) is Annotated:
            metadata += list(get_args(tp)[1:])
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


_OFFER_CLASSES: dict[str, type[BaseModel]] = {
    str(get_args(cls.model_fields["kind"].annotation)[0]): cls
    for cls in get_args(_strip(sm.Offer, []))
}
"""Offer class by ``kind``, read from the ``Offer`` union so new kinds need no change here."""
_OFFER_KINDS = tuple(_OFFER_CLASSES)

_WHAT: dict[type[BaseModel], str] = {
    sm.Scenario: "the scenario",
    sm.Source: "a source",
    sm.PolicyPeriod: "a policy period",
    sm.RuleSources: "sources_by_rule (keys are the rules a period sets)",
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


def _walk(
    loc: tuple[str | int, ...], root: type[BaseModel] = sm.Scenario
) -> tuple[Any, list[Any]] | None:
    """The schema type a (raw pydantic) ``loc`` points at under ``root``, and its constraints.

    Returns:
        The type (``Annotated`` and ``| None`` stripped) and the constraint metadata of the
        field or item it names; None if ``loc`` leaves the schema.
    """
    tp: Any = root
    metadata: list[Any] = []
    for part in loc:
        if _internal(part):
            continue
        metadata = []
        tp = _strip(tp, metadata)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if not isinstance(part, str) or part not in tp.model_fields:
                return None
            info = tp.model_fields[part]
            tp = info.annotation
            metadata = list(info.metadata)
        elif get_origin(tp) is list:
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) in (Union, UnionType) and part in _OFFER_CLASSES:
            tp = _OFFER_CLASSES[str(part)]
        else:
            return None
    return _strip(tp, metadata), metadata


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model that the (raw pydantic) ``loc`` points into, if any."""
    found = _walk(loc)
    tp = None if found is None else found[0]
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


def _shown(value: Any, text: str | None = None) -> str:
    """The value as the user wrote it (``yes``, ``007``), else as read."""
    if text:
        return repr(text)
    if value is None or isinstance(value, list | dict):
        return _yaml_type(value)
    shown = repr(value) if isinstance(value, str) else str(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$")
"""``100,000``: a number written with thousands separators (YAML reads it as text)."""

_CONSTRAINTS = {
    "greater_than": "greater than {gt}",
    "greater_than_equal": "greater than or equal to {ge}",
    "less_than": "less than {lt}",
    "less_than_equal": "less than or equal to {le}",
}
_NUMBER_KINDS = frozenset(
    {"int_parsing", "float_parsing", "int_from_float", "int_type", "float_type", "finite_number"}
)


def _message(err: dict[str, Any], raw: tuple[str | int, ...], text: str | None) -> str:
    """Say what is wrong in the scenario's words, not pydantic's.

    Args:
        err: One pydantic error.
        raw: Its location, pydantic's parts included.
        text: The value as written in the file, where YAML read it as something that
            prints differently.
    """
    kind, msg, value = err["type"], err["msg"], err.get("input")
    ctx = err.get("ctx") or {}
    shown = _shown(value, text)
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return f"unknown offer kind {ctx.get('tag')!r}"
    if kind == "union_tag_not_found":
        return "offer has no `kind`"
    if kind == "value_error":  # our own validators word their messages for the user
        return str(ctx.get("error", msg))
    if "[key]" in raw:
        return f"key {shown} is not a year" if kind.startswith("int") else f"key: {msg}"
    if kind == "string_pattern_mismatch":
        if raw[-1:] == ("currency",):
            return f"{shown} is not a currency code"
        return f"{shown} is not a valid id"
    if kind == "string_too_short" and not value:
        return "must not be empty"
    if kind.startswith(("date", "datetime")):
        return f"expected a date, got {shown if text else _yaml_type(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if _model_at(raw) is sm._Duration:
            return f"expected months (a number, or min/mode/max), got {_yaml_type(value)}"
        return f"expected a mapping of `key: value` lines, got {_yaml_type(value)}"
    if kind == "list_type":
        return f"expected a list, got {_yaml_type(value)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return "the list is empty" if not value else f"the list needs at least {n} entries"
    if kind in _CONSTRAINTS:
        limits = {k: _num(v) if isinstance(v, int | float) else v for k, v in ctx.items()}
        return f"must be {_CONSTRAINTS[kind].format(**limits)}, got {shown}"
    if kind in ("int_parsing", "int_type"):
        return f"expected a whole number, got {shown}"
    if kind == "int_from_float":
        return f"{shown} is not a whole number (it has a fractional part)"
    if kind in ("float_parsing", "float_type"):
        return f"expected a number, got {shown}"
    if kind == "finite_number":
        return f"{shown} is not a finite number"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false, got {shown}"
    if kind == "string_type":
        return f"expected text, got {shown}"
    if kind == "enum":
        return f"expected one of {ctx.get('expected', '')}, got {shown}"
    msg = str(msg).removeprefix("Input should be ")
    if value is None or isinstance(value, str | int | float | dt.date):
        return f"{msg}, got {shown}"
    return msg


_FRACTIONS = frozenset({"share", "capacity_share", "min_fill"})
_MONEY = frozenset({"fixed_fee", "module_fee", "badge_waiver_fee", "capital_budget"})
_PER_CAR = frozenset({"fee_per_unit", "lost_margin", "unit_cost"})
_VEHICLES = frozenset({"capacity", "min_capacity", "module_capacity"})
_DATE_FIELDS = frozenset(
    {
        "as_of",
        "since",
        "ready",
        "opened",
        "target_sop",
        "applied_on",
        "dormant_since",
        "construction_start",
        "until",
        "date",
        "start",
        "end",
    }
)


def _unit(field: str, path: tuple[str | int, ...]) -> str:
    """What a number at ``path`` counts, to follow "a number": ``of months``, ``in ...``."""
    if field in _YEAR_FIELDS or field.isdigit() or field in _VEHICLES:
        return "of vehicles per year"
    if field in ("min", "mode", "max") or field.endswith("months"):
        return "of months"
    if field in _MONEY:
        return "in the scenario's currency"
    if field in _PER_CAR or (len(path) >= 2 and path[-2] == "logistics"):
        return "in the scenario's currency per vehicle"
    if field == "max_modules":
        return "of modules"
    return ""


def _number_hint(field: str, kind: str, raw: tuple[str | int, ...], unit: str) -> str:
    """How to write the number at ``raw``: its unit and the range the schema allows."""
    bounds = _bounds(raw)
    if "probability" in field or field in _FRACTIONS:
        above = ", above 0" if "gt" in bounds else ""
        return f"use a fraction between 0 and 1{above}, e.g. 0.5 for 50 %"
    if field == "discount_rate":
        return "use a fraction of 1 a year, from 0 to below 1, e.g. 0.08 for 8 %"
    if field == "horizon":
        return "the last planning year, a whole number between 1990 and 2100, e.g. 2030"
    if kind in _CONSTRAINTS and bounds:
        return f"use {_range(bounds, unit)}"
    return f"write a plain number{f' {unit}' if unit else ''}, without units or separators"


def _bounds(raw: tuple[str | int, ...], root: type[BaseModel] = sm.Scenario) -> dict[str, float]:
    """The numeric bounds (gt, ge, lt, le) of the schema type at ``raw`` under ``root``."""
    found = _walk(raw, root)
    if found is None:
        return {}
    tp, metadata = found
    out: dict[str, float] = {"int": float(tp is int)}
    for m in metadata:
        for item in [m, *getattr(m, "metadata", [])]:
            for key in ("gt", "ge", "lt", "le"):
                if getattr(item, key, None) is not None:
                    out[key] = float(getattr(item, key))
    return out


def _num(x: float) -> str:
    """``100,000,000``; years and other numbers under 10,000 without a separator."""
    if not float(x).is_integer():
        return f"{x:g}"
    return f"{x:,.0f}" if abs(x) >= 10_000 else f"{x:.0f}"


def _range(b: dict[str, float], unit: str) -> str:
    """``a whole number of vehicles per year between 1 and 100,000,000``, from bounds."""
    whole = bool(b.get("int"))
    lo: str | None = None
    if "ge" in b:
        lo = _num(b["ge"])
    elif "gt" in b:
        lo = _num(b["gt"] + 1) if whole else None
    hi = _num(b["le"]) if "le" in b else None
    what = ("a whole number" if whole else "a number") + (f" {unit}" if unit else "")
    if lo is not None and hi is not None:
        return f"{what} between {lo} and {hi}"
    low = f"{lo} or more" if lo is not None else f"above {_num(b['gt'])}" if "gt" in b else ""
    high = f"at most {hi}" if hi is not None else f"below {_num(b['lt'])}" if "lt" in b else ""
    return ", ".join(x for x in (what, low, high) if x)


def _hint(
    err: dict[str, Any], path: tuple[str | int, ...], raw: tuple[str | int, ...], text: str | None
) -> str:
    """Say how to fix it."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    field = next((p for p in reversed(path) if isinstance(p, str)), "")
    unit = _unit(field, path)
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
    if isinstance(value, str) and _THOUSANDS.match(value.strip()):
        return f"write numbers without thousands separators: {value.replace(',', '')}"
    if field == "currency":
        return "a three-letter ISO code in capitals, such as CNY, EUR or USD"
    if kind == "string_pattern_mismatch":
        return "use letters, digits, `_`, `-` and `.`, starting with a letter or digit"
    if kind == "string_type":
        return "put the value in quotes"
    if kind == "too_short":
        return "add at least one entry"
    if kind == "string_too_short":
        return "write a value, or remove the key if it is optional"
    if field in _DATE_FIELDS or kind.startswith(("date", "datetime")):
        if is_date(value) or "outside" in str(ctx.get("error", "")):
            return "check the year"
        return "write dates as YYYY-MM-DD or YYYY-MM"
    if kind in _CONSTRAINTS or kind in _NUMBER_KINDS:
        return _number_hint(field, kind, raw, unit)
    if field in _YEAR_FIELDS and kind == "dict_type":
        return "vehicles by year, e.g. `{2024: 50000, 2025: 80000}`"
    if (
        kind in ("model_type", "model_attributes_type", "dict_type")
        and _model_at(raw) is sm._Duration
    ):
        return "months: a number, or `{min: 3, mode: 6, max: 12}`"
    if kind == "enum":
        return "use one of the listed values"
    if kind in ("bool_parsing", "bool_type"):
        return "write true or false"
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
        text = doc.texts.get(path)
        problems.append(
            Problem(
                doc.file,
                doc.line_of(path),
                format_path(path),
                _message(err, raw, text),
                _hint(err, path, raw, text),
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
    problems = list(doc.problems)
    if not isinstance(doc.data, dict):
        problems.append(
            Problem(
                doc.file,
                1,
                "",
                "a scenario must be a mapping of keys",
                "start with `name:`, `as_of:`, `horizon:` ...",
            )
        )
        raise ScenarioError(problems)
    try:
        scenario = sm.Scenario.model_validate(doc.data)
    except ValidationError as exc:
        # A value the YAML stage already reported (a cycle, a tag) needs no second line.
        said = [p.path for p in doc.problems if p.path]
        problems += [p for p in _schema_problems(exc, doc) if not _under(p.path, said)]
        valid = partial(doc.data, exc)
        if valid is not None:
            problems += run_checks(valid[0], doc, valid[1])
        raise ScenarioError(problems) from None
    problems += run_checks(scenario, doc)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _under(path: str, parents: list[str]) -> bool:
    """Whether ``path`` is one of ``parents`` or inside one."""
    return any(path == q or path.startswith((q + ".", q + "[")) for q in parents)


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
    return validate_doc(read_doc(path))


def read_doc(path: str | Path) -> SourceDoc:
    """Read a scenario file (or a bundled scenario, by name) as a located document.

    Raises:
        ScenarioError: If the file does not exist.
    """
    p = resolve(path)
    if not p.exists() and not p.is_symlink():  # a symlink loop is said as such by reading it
        raise _missing(path)
    return read_yaml(p, strict=False)


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
    return validate_doc(parse_yaml(text, file, strict=False))


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


def _missing(path: str | Path) -> ScenarioError:
    """The error for a file that does not exist: the hint names the bundled scenarios (and
    the closest, for a mistyped name)."""
    names = sorted(bundled())
    close = difflib.get_close_matches(Path(path).stem, names, n=1, cutoff=0.6)
    hint = (f"did you mean {close[0]}? " if close else "") + (
        f"check the path; bundled scenarios: {', '.join(names)}"
    )
    return ScenarioError(
        [Problem(str(path), 0, "", "cannot read file: No such file or directory", hint)]
    )
