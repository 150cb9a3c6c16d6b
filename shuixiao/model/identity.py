"""Identities of enterprises: 统一社会信用代码 (GB 32100-2015) and GB/T 4754-2017 industry codes."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

from shuixiao.errors import InvalidInputError, Problem, ReferenceDataError

__all__ = [
    "credit_code_check_character",
    "credit_code_problem",
    "industry_code_problem",
    "industry_name",
]

# GB 32100-2015, 4.1: the code alphabet (digits and 21 capital letters; I, O, Z, S, V excluded).
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100-2015, 4.3 and Annex (check character): weights W_i = 3^(i-1) mod 31 for i = 1..17.
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_PATTERN = re.compile(rf"^[{_ALPHABET}]{{18}}$")


def credit_code_check_character(first17: str) -> str:
    """Return the check character of a unified social credit code.

    Parameters
    ----------
    first17 : str
        The first 17 characters of the code.

    Returns
    -------
    str
        The 18th character, ``C18 = 31 − (Σ Cᵢ·Wᵢ mod 31)`` mapped back to
        the alphabet (31 becomes ``0``).

    Raises
    ------
    ValueError
        If ``first17`` is not 17 characters of the code alphabet.

    References
    ----------
    .. [1] GB 32100-2015 法人和其他组织统一社会信用代码编码规则, clause 4 and Annex A.

    Examples
    --------
    >>> credit_code_check_character("91440300192203821")
    '6'
    """
    if len(first17) != 17 or any(c not in _ALPHABET for c in first17):
        raise ValueError(f"{first17!r} is not 17 characters of {_ALPHABET}")
    total = sum(_ALPHABET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Return why ``code`` is not a valid unified social credit code, or None if it is.

    Parameters
    ----------
    code : str
        An 18-character 统一社会信用代码.

    Returns
    -------
    str or None
        A message a person can act on, or None.

    Examples
    --------
    >>> credit_code_problem("914403001922038216") is None
    True
    >>> credit_code_problem("914403001922038217")
    'check character is 7 but should be 6 (GB 32100-2015); re-type the code from the business licence'
    """
    if not isinstance(code, str) or not _CREDIT_PATTERN.match(code):
        return (
            f"{code!r} is not a unified social credit code: it needs 18 characters from "
            f"digits and capital letters except I, O, Z, S, V"
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        return (
            f"check character is {code[17]} but should be {expected} (GB 32100-2015); "
            "re-type the code from the business licence"
        )
    return None


# Languages of the GB/T 4754-2017 names: Chinese (normative) and English (a translation).
_LANGUAGES = ("zh", "en")

_INDUSTRY_FILE = "gbt4754_2017.yaml"


@cache
def _industry_table() -> dict[str, dict[str, str]]:
    """Return ``{code: {"zh": name, "en": name}}`` from the shipped GB/T 4754-2017 table."""
    return _parse_industry_table(resources.files("shuixiao.data").joinpath(_INDUSTRY_FILE).read_text("utf-8"))


def _parse_industry_table(text: str) -> dict[str, dict[str, str]]:
    """Return ``{code: {"zh": name, "en": name}}`` from the YAML text of an industry table.

    Raises
    ------
    ReferenceDataError
        Listing every code without a non-empty name in each language.
    """
    data = yaml.safe_load(text)
    table: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for key, entry in data["codes"].items():
        code = str(key)
        names = entry if isinstance(entry, dict) else {}
        missing = [lang for lang in _LANGUAGES if not str(names.get(lang) or "").strip()]
        if missing:
            problems.append(Problem(f"codes.{code}", f"needs a non-empty name in {', '.join(missing)}"))
            continue
        table[code] = {lang: str(names[lang]).strip() for lang in _LANGUAGES}
    if problems:
        raise ReferenceDataError(problems, _INDUSTRY_FILE)
    return table


_INDUSTRY_PATTERN = re.compile(r"^\d{2}(\d{1,2})?$")


def industry_name(code: str, language: str = "zh") -> str | None:
    """Return the name of a GB/T 4754-2017 code in ``language``, or None when it is not listed.

    Parameters
    ----------
    code : str
        A division (2 digits), group (3) or class (4) code, without the section letter.
    language : {'zh', 'en'}, default 'zh'
        ``'zh'`` for the normative Chinese name, ``'en'`` for the English translation
        (NBS English-edition wording where established, else ISIC Rev.4-style).

    Returns
    -------
    str or None
        The name, or None when the code is not in the shipped table (groups and
        classes other than the water-intensive ones).

    Raises
    ------
    InvalidInputError
        If ``language`` is not ``'zh'`` or ``'en'``.

    Examples
    --------
    >>> industry_name("3120")
    '炼钢'
    >>> industry_name("31")
    '黑色金属冶炼和压延加工业'
    >>> industry_name("31", "en")
    'Smelting and pressing of ferrous metals'
    >>> industry_name("3120", language="en")
    'Steelmaking'
    >>> industry_name("3199", "en") is None
    True
    """
    if language not in _LANGUAGES:
        raise InvalidInputError(
            f"{language!r} is not a language of the industry names: use 'zh' (Chinese) or 'en' (English)"
        )
    names = _industry_table().get(code)
    return names[language] if names is not None else None


def industry_code_problem(code: str) -> str | None:
    """Return why ``code`` is not a GB/T 4754-2017 industry code, or None if it is.

    A code is accepted when it has 2, 3 or 4 digits and its division (first two
    digits) is a division of GB/T 4754-2017.  Four-digit classes not in the
    shipped table are accepted (the table lists the water-intensive classes
    only) and shown without a name.

    Examples
    --------
    >>> industry_code_problem("3120") is None
    True
    >>> industry_code_problem("C3120")
    "'C3120' is not a GB/T 4754-2017 code: write 2 to 4 digits without the section letter, e.g. 3120"
    """
    if not isinstance(code, str) or not _INDUSTRY_PATTERN.match(code):
        return (
            f"{code!r} is not a GB/T 4754-2017 code: write 2 to 4 digits without the "
            "section letter, e.g. 3120"
        )
    if code[:2] not in _industry_table():
        return f"{code[:2]} is not a division of GB/T 4754-2017 (divisions run 01 to 97)"
    return None
