"""Load YAML files into validated pydantic models with messages that name the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from emstudy.errors import EmstudyError

__all__ = [
    "StrictModel",
    "StrictLoader",
    "DuplicateKeyError",
    "load_yaml",
    "load_yaml_model",
    "format_validation_error",
]


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping that names the same key twice (YAML would silently keep the last value)."""


class StrictLoader(yaml.SafeLoader):
    """:class:`yaml.SafeLoader` whose mappings refuse a key given twice (``非常同意: 5`` then ``非常同意: 1``).

    Merge keys (``<<: *anchor``) may still be overridden by the mapping's own keys, as YAML intends.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, yaml.Node] = {}
            for key_node, _value_node in node.value:  # the explicit keys only: `<<` merges are not duplicates
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: SafeLoader reports it itself
                    continue
                if first is not None:
                    raise DuplicateKeyError(
                        None,
                        None,
                        f"duplicate key {key!r} (first given on line {first.start_mark.line + 1}); "
                        "YAML would silently keep only the last value, so give each key once",
                        key_node.start_mark,
                    )
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, *, path: str | Path = "<yaml>") -> object:
    r"""Parse YAML text with :class:`StrictLoader`; errors become one-line :class:`EmstudyError` naming the file.

    Parameters
    ----------
    text : str
        The YAML document.
    path : str or pathlib.Path
        The file it came from, named in messages.

    Returns
    -------
    object
        The parsed document (``None`` for an empty one).

    Raises
    ------
    EmstudyError
        A syntax error or a duplicate key, with its line and column.

    Examples
    --------
    >>> load_yaml("labels: {非常同意: 5}")
    {'labels': {'非常同意': 5}}
    >>> try:
    ...     load_yaml("非常同意: 5\n非常同意: 1\n", path="m.yml")
    ... except EmstudyError as exc:
    ...     print(str(exc).split(";")[0])
    m.yml: line 2, column 1: duplicate key '非常同意' (first given on line 1)
    """
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        raise EmstudyError(f"{path}: line {mark.line + 1}, column {mark.column + 1}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise EmstudyError(f"{path}: YAML syntax error: {where}{problem}") from None


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
        Missing file, YAML syntax error or duplicate key (with line and column) or schema violation (with the
        key path).
    """
    path = Path(path)
    if not path.is_file():
        raise EmstudyError(f"{path}: file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EmstudyError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    raw = load_yaml(text, path=path)
    if not isinstance(raw, dict):
        raise EmstudyError(f"{path}: expected a mapping of keys at the top level, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise EmstudyError(format_validation_error(path, exc)) from None
