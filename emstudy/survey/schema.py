"""Load YAML files into validated pydantic models with messages that name the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from emstudy.errors import EmstudyError

__all__ = ["StrictModel", "load_yaml_model", "format_validation_error"]


class StrictModel(BaseModel):
    """Base of every model read from the project's YAML files: unknown keys are errors, instances are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=BaseModel)


def format_validation_error(path: str | Path, err: ValidationError) -> str:
    """One line per problem: ``file: key.path: what was expected``."""
    lines = []
    for problem in err.errors():
        where = ".".join(str(p) for p in problem["loc"]) or "(top level)"
        got = problem.get("input")
        shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
        lines.append(f"{path}: {where}: {problem['msg']}{shown}")
    return "; ".join(lines)


def load_yaml_model(path: str | Path, model: type[M]) -> M:
    """Read ``path`` as YAML (UTF-8) and validate it against ``model``.

    Raises
    ------
    EmstudyError
        Missing file, YAML syntax error (with line and column) or schema violation (with the key path).
    """
    path = Path(path)
    if not path.is_file():
        raise EmstudyError(f"{path}: file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise EmstudyError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise EmstudyError(f"{path}: YAML syntax error: {where}{problem}") from None
    if not isinstance(raw, dict):
        raise EmstudyError(f"{path}: expected a mapping of keys at the top level, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise EmstudyError(format_validation_error(path, exc)) from None
