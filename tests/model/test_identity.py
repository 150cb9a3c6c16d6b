"""Tests of the enterprise identity codes: GB 32100-2015 and GB/T 4754-2017."""

import pytest

from shuixiao.model import (
    credit_code_check_character,
    credit_code_problem,
    industry_code_problem,
    industry_name,
)

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
