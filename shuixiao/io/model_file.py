"""Model files: an enterprise's water system as a YAML or JSON document.

A model file is what a water-balance tester (水平衡测试机构) would hand over to
describe a plant: its units, flows, meters and products, and optionally the
park and region it belongs to.  The format is described in
``docs/model-files.md``; in short::

    schema: shuixiao.model/1
    regions: [...]        # optional
    parks: [...]          # optional
    enterprises: [...]    # a list, also for a single plant

Field names are the field names of :mod:`shuixiao.model.entities`, enum
values their string values, dates ``YYYY-MM-DD``, quantities canonical
(:mod:`shuixiao.units`).  Reading reports every problem of a file at once,
each with its line; writing leaves out fields at their default value.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from shuixiao.errors import InvalidInputError, ModelValidationError, NotFoundError, Problem
from shuixiao.io._check import SCHEMA, check
from shuixiao.io._items import json_default, to_plain
from shuixiao.io._locate import Locator, compose, duplicate_key_problems
from shuixiao.model import Enterprise, Park, Region

__all__ = [
    "FileFormat",
    "MODEL_SCHEMA",
    "ModelDocument",
    "format_model_text",
    "from_document",
    "parse_model_text",
    "read_model_file",
    "to_document",
    "write_model_file",
]

MODEL_SCHEMA = SCHEMA
"""The value of the required top-level ``schema`` key of a model file."""

FileFormat = Literal["yaml", "json"]
"""The two formats of a model file."""

_SUFFIXES: dict[str, FileFormat] = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}


@dataclass(frozen=True)
class ModelDocument:
    """The contents of one model file: regions, parks and enterprises.

    Parameters
    ----------
    regions : tuple of Region
        Regions the file defines, e.g. a province and a city.
    parks : tuple of Park
        Industrial parks the file defines.
    enterprises : tuple of Enterprise
        Enterprises with their water systems.
    """

    regions: tuple[Region, ...] = ()
    parks: tuple[Park, ...] = ()
    enterprises: tuple[Enterprise, ...] = ()


def to_document(doc: ModelDocument) -> dict[str, Any]:
    """Return ``doc`` as plain data ready for YAML or JSON.

    Keys follow the dataclass field order; fields equal to their default and
    empty top-level lists are left out.  Enums become their string values;
    dates stay :class:`datetime.date` (as :func:`yaml.safe_load` returns them).

    Parameters
    ----------
    doc : ModelDocument

    Returns
    -------
    dict
        ``{"schema": "shuixiao.model/1", "regions": [...], ...}``.

    Examples
    --------
    >>> from shuixiao.model import Region
    >>> to_document(ModelDocument(regions=(Region("hn", "湖南省", "430000"),)))
    {'schema': 'shuixiao.model/1', 'regions': [{'id': 'hn', 'name': '湖南省', 'admin_code': '430000'}]}
    """
    data: dict[str, Any] = {"schema": MODEL_SCHEMA}
    for key in ("regions", "parks", "enterprises"):
        items = getattr(doc, key)
        if items:
            data[key] = [to_plain(item) for item in items]
    return data


def from_document(data: object, source: str | None = None) -> ModelDocument:
    """Validate plain data and return the :class:`ModelDocument` it describes.

    Parameters
    ----------
    data : object
        A loaded model document (a mapping with ``schema`` and lists of items).
        Dates may be :class:`datetime.date` or ``YYYY-MM-DD`` text.
    source : str, optional
        Name of the origin, used in the error message.

    Returns
    -------
    ModelDocument

    Raises
    ------
    ModelValidationError
        With every problem found (type problems of each item and the semantic
        problems of :func:`shuixiao.model.enterprise_problems`); problems
        carry no line numbers here, see :func:`parse_model_text`.
    """
    contents, problems = check(data)
    if contents is None:
        raise ModelValidationError(problems, source=source)
    return ModelDocument(*contents)


def parse_model_text(
    text: str, file_format: FileFormat = "yaml", *, source: str | None = None
) -> ModelDocument:
    """Parse and validate the text of a model file.

    Parameters
    ----------
    text : str
        The whole file.
    file_format : {'yaml', 'json'}
        How ``text`` is written.
    source : str, optional
        Name of the origin (a path), used in the error message.

    Returns
    -------
    ModelDocument

    Raises
    ------
    ModelValidationError
        With every problem, each carrying the 1-based line it is on; a syntax
        error is reported alone, with the line where the parser stopped.

    Examples
    --------
    >>> text = '''
    ... schema: shuixiao.model/1
    ... regions:
    ...   - id: hn
    ...     name: 湖南省
    ...     admin_code: 4300
    ... '''
    >>> try:
    ...     parse_model_text(text, source="hn.yaml")
    ... except ModelValidationError as err:
    ...     print(err.diagnostics())
    hn.yaml: 1 problem found
      - line 6, regions[0].admin_code: expected text, not the number 4300; put it in quotes, e.g. '4300'
    """
    if file_format == "yaml":
        data, root, syntax = _load_yaml(text)
    elif file_format == "json":
        data, root, syntax = _load_json(text)
    else:
        raise ValueError(f"file_format must be 'yaml' or 'json', not {file_format!r}")
    if syntax is not None:
        raise ModelValidationError([syntax], source=source)
    problems = list(duplicate_key_problems(root))
    if data is None and root is None:
        raise ModelValidationError(
            [Problem("", f"the file is empty; a model file starts with 'schema: {MODEL_SCHEMA}'", 1)],
            source=source,
        )
    contents, more = check(data)
    problems += more
    if problems or contents is None:
        locator = Locator(root)
        located = [p if p.line is not None else _at(p, locator.line(p.path)) for p in problems]
        located.sort(key=lambda p: (p.line is None, p.line or 0))
        raise ModelValidationError(located, source=source)
    return ModelDocument(*contents)


def _at(problem: Problem, line: int | None) -> Problem:
    return Problem(problem.path, problem.message, line)


def format_model_text(doc: ModelDocument, file_format: FileFormat = "yaml") -> str:
    """Return the text of a model file for ``doc``.

    YAML is block style with keys in field order and Chinese left readable;
    JSON is indented by two spaces, also without escaping non-ASCII text.

    Parameters
    ----------
    doc : ModelDocument
    file_format : {'yaml', 'json'}

    Returns
    -------
    str
        The text, ending in a newline.

    Examples
    --------
    >>> from shuixiao.model import Region
    >>> print(format_model_text(ModelDocument(regions=(Region("hn", "湖南省", "430000"),))), end="")
    schema: shuixiao.model/1
    regions:
      - id: hn
        name: 湖南省
        admin_code: '430000'
    """
    data = to_document(doc)
    if file_format == "yaml":
        return yaml.dump(
            data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=4096
        )
    if file_format == "json":
        return json.dumps(data, ensure_ascii=False, indent=2, default=json_default) + "\n"
    raise ValueError(f"file_format must be 'yaml' or 'json', not {file_format!r}")


def read_model_file(path: str | os.PathLike[str]) -> ModelDocument:
    """Read and validate a model file (``.yaml``, ``.yml`` or ``.json``).

    Parameters
    ----------
    path : str or path-like
        The file; its suffix decides the format.

    Returns
    -------
    ModelDocument

    Raises
    ------
    NotFoundError
        If there is no such file.
    InvalidInputError
        If the suffix is not one of a model file, or the file is not UTF-8 text.
    ModelValidationError
        With every problem in the file and its line.
    """
    path = Path(path)
    file_format = _format_of(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as err:
        raise NotFoundError(f"no model file {str(path)!r}: check the path") from err
    except IsADirectoryError as err:
        raise InvalidInputError(f"{str(path)!r} is a directory, not a model file") from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InvalidInputError(
            f"{path}: line {line} is not UTF-8 text (byte {err.start}); save the file as UTF-8"
        ) from err
    return parse_model_text(text, file_format, source=str(path))


def write_model_file(doc: ModelDocument, path: str | os.PathLike[str]) -> None:
    """Write ``doc`` as a model file; the suffix of ``path`` decides YAML or JSON.

    The document is written as it is; :func:`read_model_file` validates it
    when it is read back.  Value added is written in CNY and electricity in
    kWh, without unit keys.

    Parameters
    ----------
    doc : ModelDocument
    path : str or path-like
        ``.yaml``, ``.yml`` or ``.json``; an existing file is replaced.

    Raises
    ------
    InvalidInputError
        If the suffix is not one of a model file.
    """
    path = Path(path)
    path.write_text(format_model_text(doc, _format_of(path)), encoding="utf-8")


def _format_of(path: Path) -> FileFormat:
    file_format = _SUFFIXES.get(path.suffix.lower())
    if file_format is None:
        raise InvalidInputError(
            f"{str(path)!r}: a model file ends in .yaml, .yml or .json, not {path.suffix or 'no suffix'!r}"
        )
    return file_format


class _Dumper(yaml.SafeDumper):
    """A safe dumper that indents list items under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: ARG002
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # With allow_unicode, PyYAML writes NEL (U+0085) unescaped inside single quotes, where
    # reading folds it away; double quotes escape it as \N.
    if "\x85" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_str(data)


_Dumper.add_representer(str, _represent_str)


class _Loader(yaml.SafeLoader):
    """A safe loader that leaves impossible dates (``2023-13-01``) as text for validation to report."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> dt.date | str:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, AttributeError):  # a bad day or month, or an explicit !!timestamp tag
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _load_yaml(text: str) -> tuple[object, yaml.Node | None, Problem | None]:
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        return None, None, _yaml_syntax_problem(err)
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        message = f"not valid YAML: character U+{err.character:04X} is not allowed in a YAML file"
        return None, None, Problem("", message, line)
    return data, root, None


# Plain-language readings of PyYAML's commonest complaints.
_YAML_HINTS = (
    ("'\\t'", "YAML is indented with spaces, not tabs"),
    ("expected <block end>", "this line is out of line with the ones above it; check the indentation"),
    (
        "mapping values are not allowed",
        "a ':' YAML did not expect; check the indentation, or quote text containing ': '",
    ),
    ("could not find expected ':'", "a key without ':', or text running onto the next line; check this line"),
    ("found undefined alias", "'*' starts a YAML alias; quote text that begins with '*'"),
    ("found character '@'", "'@' and '`' cannot start plain text; put the value in quotes"),
    ("scanning a quoted scalar", "a quoted text is not closed; add the closing quote"),
    ("found another document", "a model file holds one YAML document; remove the second '---'"),
    ("could not determine a constructor", "a model file holds plain values only; remove the '!' tag"),
)


def _yaml_syntax_problem(err: yaml.MarkedYAMLError) -> Problem:
    mark = err.problem_mark or err.context_mark
    words = err.problem or err.context or "unreadable"
    context = err.context_mark
    if err.context and err.problem and context is not None and mark is not None and context.line != mark.line:
        words += f" ({err.context} on line {context.line + 1})"
    said = f"{err.problem} {err.context}"
    hint = next((text for key, text in _YAML_HINTS if key in said), None)
    message = f"not valid YAML: {hint} [parser: {words}]" if hint else f"not valid YAML: {words}"
    return Problem("", message, mark.line + 1 if mark is not None else None)


def _load_json(text: str) -> tuple[object, yaml.Node | None, Problem | None]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        return None, None, Problem("", f"not valid JSON: {err.msg} (column {err.colno})", err.lineno)
    try:
        # JSON is YAML flow style, once tabs (allowed only between tokens in JSON) are spaces.
        root = compose(text.replace("\t", " "))
    except yaml.YAMLError:
        root = None
    return data, root, None
