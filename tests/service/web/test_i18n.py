"""Every text the pages use exists in Chinese and English, with the same placeholders."""

from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path

import pytest

import shuixiao.service.web as web
from shuixiao.model import Quality
from shuixiao.service.web._i18n import LANGUAGES, Translator, pick_language, text
from shuixiao.service.web._texts import TEXTS

pytestmark = pytest.mark.unit

PACKAGE = Path(web.__file__).parent
# t("key") / t('key') in templates and Python, text("key", ...) in Python.
_STATIC_KEY = re.compile(r"""\b(?:t|text)\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["']""")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _used_keys() -> set[str]:
    keys: set[str] = set()
    files = list((PACKAGE / "templates").glob("*.html")) + list(PACKAGE.glob("*.py"))
    for file in files:
        keys.update(_STATIC_KEY.findall(file.read_text("utf-8")))
    return keys


def test_every_used_key_exists() -> None:
    used = _used_keys()
    assert len(used) > 50
    assert sorted(used - TEXTS.keys()) == []


def test_both_languages_say_something_with_the_same_placeholders() -> None:
    for key, (zh, en) in TEXTS.items():
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key
        # Chinese first: a Chinese text with words has Chinese words (the switch names the other language).
        words = re.sub(r"\{[^}]*\}", "", zh)
        if re.search(r"[A-Za-z]{3,}", words) and key != "nav.other_language":
            assert re.search(r"[\u4e00-\u9fff]", words), key


@pytest.mark.parametrize(
    "family",
    [
        [f"quality.{q.name.lower()}" for q in Quality] + ["quality.none", "quality.stale"],
        [f"severity.{s}" for s in ("info", "warning", "major", "critical")],
        [f"alarm_state.{s}" for s in ("raised", "acknowledged", "cleared")],
        [
            f"role.{r}"
            for r in (
                "admin",
                "regulator",
                "park_operator",
                "enterprise_manager",
                "enterprise_viewer",
                "auditor",
                "service_provider",
                "device",
            )
        ],
        ["meter.PT1H", "meter.P1D", "trend.intake", "trend.reuse", "trend.discharge"],
        [f"status.{s}" for s in ("measured", "inferred", "estimated", "missing")],
        [f"error.status.{s}" for s in (400, 401, 403, 404, 422, 500, 503)],
        [f"progress.{s}" for s in ("met", "on_track", "behind", "unknown")],
        [f"verdict.{s}" for s in ("yes", "no", "unknown")],
        [f"tier.{s}" for s in ("none", "water_saving", "benchmark", "leader")],
        [f"grade.{s}" for s in ("leading", "advanced", "general", "above_general", "unknown")],
        [f"sankey.view.{s}" for s in ("units", "equipment", "loops")],
        [f"park.sink.{s}" for s in ("discharge", "consumption", "leakage", "external_supply")],
        ["park.direction.in", "park.direction.out"],
        [f"leak_state.{s}" for s in ("suspected", "confirmed", "repaired", "verified", "dismissed")],
        [
            f"leak_action.{s}"
            for s in ("detect", "update", "confirm", "repair", "verify", "reopen", "dismiss", "note")
        ],
        [f"leak_do.{s}" for s in ("confirm", "repair", "verify", "reopen", "dismiss")],
    ],
)
def test_dynamic_key_families_are_complete(family: list[str]) -> None:
    assert [k for k in family if k not in TEXTS] == []


def test_text_and_translator() -> None:
    assert text("ledger.entries_value", "en", devices=2, meters=5) == "2 devices, 5 meters"
    assert text("ledger.entries_value", "zh", devices=2, meters=5) == "2 台设备，5 个计量器具"
    t = Translator("fr")
    assert t.language == "zh"
    assert Translator("en").pick("岳阳", "Yueyang") == "Yueyang"
    assert Translator("en").pick("岳阳", None) == "岳阳"
    assert Translator("zh").pick("岳阳", "Yueyang") == "岳阳"
    with pytest.raises(KeyError):
        text("no.such.key", "zh")


def test_language_choice_order() -> None:
    assert LANGUAGES[0] == "zh"
    assert pick_language(None, None, "zh") == "zh"
    assert pick_language("en", "zh", "zh") == "en"
    assert pick_language(None, "en", "zh") == "en"
    assert pick_language("xx", "yy", "en") == "en"
    assert pick_language(None, None, "xx") == "zh"


def test_templates_are_packaged_beside_the_module() -> None:
    names = {p.name for p in resources.files("shuixiao.service.web").joinpath("templates").iterdir()}
    assert {"base.html", "login.html", "enterprise.html", "meter.html"} <= names
