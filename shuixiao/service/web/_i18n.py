"""Chinese (default) and English texts of the dashboards, and how a page picks its language.

Labels of the model's vocabularies (unit kinds, source types, flow categories,
meter kinds, quantities) come from :mod:`shuixiao.model.labels`; everything
else a page says is in :data:`TEXTS`.  The language of a request is, in
order: the language cookie (set by the switch in the page header), the
logged-in user's preference, the instance's ``language`` setting.
"""

from __future__ import annotations

from typing import Any, Final

from shuixiao.service.web._texts import TEXTS

__all__ = ["LANGUAGES", "LANGUAGE_COOKIE", "Translator", "pick_language", "text"]

LANGUAGES: Final = ("zh", "en")
"""Languages of the pages, the default first."""

LANGUAGE_COOKIE: Final = "shuixiao_lang"
"""Cookie that keeps the language chosen with the switch."""


def text(key: str, language: str, **values: Any) -> str:
    """Return the text ``key`` in ``language`` ('zh' or 'en'), formatted with ``values``.

    Raises
    ------
    KeyError
        If ``key`` is not in the table (a programming error, caught by the tests).

    Examples
    --------
    >>> text("nav.logout", "en")
    'Log out'
    >>> text("nav.logout", "zh")
    '退出'
    """
    zh, en = TEXTS[key]
    template = en if language == "en" else zh
    return template.format(**values) if values else template


class Translator:
    """``t("key", **values)`` in templates: :func:`text` bound to one language.

    Parameters
    ----------
    language : str
        'zh' or 'en'.
    """

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else LANGUAGES[0]

    def __call__(self, key: str, **values: Any) -> str:
        """Return the text ``key`` in this translator's language."""
        return text(key, self.language, **values)

    def pick(self, zh: str, en: str | None) -> str:
        """Return ``en`` in English when there is one, else ``zh`` (names stored in both languages)."""
        return en if self.language == "en" and en else zh


def pick_language(cookie: str | None, preference: str | None, default: str) -> str:
    """Return the language of a page: the cookie, else the user's preference, else the default.

    Unknown values are skipped.

    Examples
    --------
    >>> pick_language(None, "en", "zh")
    'en'
    >>> pick_language("zh", "en", "zh")
    'zh'
    >>> pick_language("fr", None, "en")
    'en'
    """
    for candidate in (cookie, preference, default):
        if candidate in LANGUAGES:
            return candidate
    return LANGUAGES[0]
