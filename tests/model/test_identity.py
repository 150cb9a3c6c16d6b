"""Tests of the enterprise identity codes: GB 32100-2015 and GB/T 4754-2017."""

import re

import pytest

from shuixiao.errors import InvalidInputError, ReferenceDataError
from shuixiao.model import (
    credit_code_check_character,
    credit_code_problem,
    industry_code_problem,
    industry_name,
)
from shuixiao.model.identity import _industry_table, _parse_industry_table

pytestmark = pytest.mark.unit

# Unified social credit codes printed on the business licences of listed companies (public
# registration records, National Enterprise Credit Information Publicity System).
PUBLISHED_CODES = [
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
]


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_published_codes_are_valid(code: str) -> None:
    assert credit_code_check_character(code[:17]) == code[17]
    assert credit_code_problem(code) is None


def test_check_character_can_be_zero_or_a_letter() -> None:
    # 31 - (sum mod 31) == 31 maps to '0' (GB 32100-2015, Annex A); build such a prefix by search.
    prefix = next(
        f"9143060000000{n:04d}"
        for n in range(10000)
        if credit_code_check_character(f"9143060000000{n:04d}") == "0"
    )
    assert credit_code_problem(prefix + "0") is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("914403001922038217", "check character is 7 but should be 6"),
        ("91440300192203821", "needs 18 characters"),
        ("91440300192203821I", "needs 18 characters"),  # I is not in the alphabet
        ("914403001922038216 ", "needs 18 characters"),
    ],
)
def test_invalid_codes_say_why(code: str, message: str) -> None:
    problem = credit_code_problem(code)
    assert problem is not None and message in problem


def test_check_character_rejects_bad_prefix() -> None:
    with pytest.raises(ValueError):
        credit_code_check_character("9144O3001922038")


def test_industry_codes() -> None:
    assert industry_name("1513") == "啤酒制造"
    assert industry_name("2221") == "机制纸及纸板制造"
    assert industry_name("3199") is None  # valid division, class not in the shipped table
    assert industry_code_problem("3199") is None
    assert industry_code_problem("315") is None
    assert "not a division" in (industry_code_problem("9901") or "")
    assert "without the section letter" in (industry_code_problem("C31") or "")
    assert "without the section letter" in (industry_code_problem("31201") or "")


# CJK ideographs, CJK punctuation (、，) and full-width forms: none belongs in an English name.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def test_every_industry_has_a_chinese_and_an_english_name() -> None:
    table = _industry_table()
    assert len(table) == 118  # 97 divisions and 21 water-intensive classes
    assert {f"{n:02d}" for n in range(1, 98)} <= table.keys()
    for code, names in table.items():
        zh, en = industry_name(code), industry_name(code, "en")
        assert zh and zh == names["zh"] and _CJK.search(zh), code
        assert en and en == names["en"] and en == en.strip(), code
        assert not _CJK.search(en) and en.isascii() and en[0].isupper(), (code, en)


def test_industry_name_in_both_languages() -> None:
    assert industry_name("31") == industry_name("31", language="zh") == "黑色金属冶炼和压延加工业"
    assert industry_name("31", "en") == "Smelting and pressing of ferrous metals"
    assert industry_name("3120", "en") == "Steelmaking"
    assert industry_name("1513", "en") == "Manufacture of beer"
    assert industry_name("46", "en") == "Production and supply of water"
    assert industry_name("3199", "en") is None  # listed division, unlisted class: no name in any language


@pytest.mark.parametrize("language", ["fr", "EN", "", "zh+en", None])
def test_industry_name_refuses_other_languages(language: object) -> None:
    with pytest.raises(InvalidInputError, match="use 'zh' .* or 'en'"):
        industry_name("31", language)  # type: ignore[arg-type]


def test_industry_table_needs_both_names() -> None:
    text = 'codes:\n  "31": {zh: 黑色金属冶炼和压延加工业, en: " "}\n  "46": 水的生产和供应业\n  "13": {en: x, zh: y}\n'
    with pytest.raises(ReferenceDataError) as caught:
        _parse_industry_table(text)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("codes.31", "needs a non-empty name in en"),
        ("codes.46", "needs a non-empty name in zh, en"),
    ]
