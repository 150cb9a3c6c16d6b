"""shuixiao (水效): an open platform for industrial water efficiency.

Importing the package touches no environment variable, file or network; the
engines live in subpackages (:mod:`shuixiao.model`, ...), the adapters in
:mod:`shuixiao.io` and :mod:`shuixiao.storage`, and delivery in
:mod:`shuixiao.cli`.
"""

__version__ = "0.1.0"
