"""Adapters for files: read and write model files (YAML, JSON).

Conversion between the units people write and the canonical units of
:mod:`shuixiao.units` happens here, at the boundary.
"""

from shuixiao.io.model_file import (
    MODEL_SCHEMA,
    FileFormat,
    ModelDocument,
    format_model_text,
    from_document,
    parse_model_text,
    read_model_file,
    to_document,
    write_model_file,
)

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
