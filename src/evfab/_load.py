"""Load a scenario file: parse YAML, validate the schema, then run the business checks.

All problems of a stage are reported together, each located ``file:line: key.path``.
The business checks run only on a schema-valid scenario, since they need typed data.
"""

from __future__ import annotations

import difflib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from evfab import _scenario as sm
from evfab._checks import run_checks
from evfab._errors import Problem, ScenarioError
from evfab._yamlsrc import SourceDoc, format_path, parse_yaml, read_yaml

_OFFER_KINDS = (
    "contract_manufacturing",
    "licence_umbrella",
    "acquire_company",
    "plant_stake",
    "build_plant",
    "apply_licence",
)


@cache
def _all_field_names() -> frozenset[str]:
    names: set[str] = set()
    for obj in vars(sm).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(obj.model_fields)
    return frozenset(names)


def _clean_loc(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's internal loc parts: union tags and the ``[key]`` marker."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        if part in _OFFER_KINDS and i >= 2 and loc[0] == "offers":
            continue
        if part in ("[key]", "function-after[_parse_date(), date]"):
            continue
        if isinstance(part, str) and part.startswith(("function-", "constrained-")):
            continue
        out.append(part)
    return tuple(out)


def _hint(err: dict[str, Any], path: tuple[str | int, ...]) -> str:
    kind = err["type"]
    field = next((p for p in reversed(path) if isinstance(p, str)), "")
    if kind == "missing":
        return f"add `{field}:`"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(field, sorted(_all_field_names()), n=1)
        return (
            f"did you mean {close[0]!r}?"
            if close
            else "remove it; `evfab schema` lists the allowed keys"
        )
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return "kind must be one of: " + ", ".join(_OFFER_KINDS)
    if kind.startswith("date") or field in ("as_of", "since", "ready", "opened", "target_sop"):
        return "write dates as YYYY-MM-DD or YYYY-MM"
    if "probability" in field or field in ("share", "capacity_share"):
        return "a fraction between 0 and 1 (0.5 means 50 %)"
    if field == "capacity" or field.isdigit():
        return "vehicles per year, a whole number"
    if kind == "enum":
        return "use one of the listed values"
    if kind in ("int_parsing", "float_parsing", "int_from_float", "int_type", "float_type"):
        return "write a plain number without units or separators"
    if kind in ("list_type",):
        return "write a YAML list (lines starting with `- `)"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "write a mapping of `key: value` lines"
    return ""


def _schema_problems(exc: ValidationError, doc: SourceDoc) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        path = _clean_loc(tuple(err["loc"]))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        problems.append(
            Problem(doc.file, doc.line_of(path), format_path(path), msg, _hint(dict(err), path))
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
