"""Sphinx configuration: the Markdown pages of docs/ plus an API reference from the docstrings."""

import fastapi  # noqa: F401  imported before autodoc: its pydantic models fail to build when autodoc imports them first

from shuixiao import __version__

project = "shuixiao 水效"
author = "shuixiao contributors"
release = __version__
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.extlinks",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]
extlinks = {"doi": ("https://doi.org/%s", "doi:%s")}
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "alabaster"
language = "en"
# "ref.python": the same attribute name (e.g. `nodes`) in two packages makes an ambiguous short reference.
suppress_warnings = ["myst.header", "ref.python"]
