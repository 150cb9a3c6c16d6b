"""What messages say, in Chinese and English, with local times."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shuixiao.alarms import Alarm, AlarmState, Severity
from shuixiao.notify import SCHEMA, alarm_dict, alarm_payload, message_text

pytestmark = pytest.mark.unit

T0 = dt.datetime(2025, 3, 1, 16, 5, tzinfo=dt.UTC)


def _alarm(**changes: object) -> Alarm:
    fields: dict[str, object] = {
        "id": 9,
        "enterprise": "xg-steel",
        "kind": "stuck",
        "key": "PT-201",
        "severity": Severity.WARNING,
        "state": AlarmState.RAISED,
        "title_zh": "PT-201 读数停滞",
        "title_en": "PT-201 stuck",
        "detail": {"value": 350.0},
        "raised_at": T0,
        "meter": "PT-201",
    }
    fields.update(changes)
    return Alarm(**fields)  # type: ignore[arg-type]


def test_texts_show_local_time_and_what_to_do() -> None:
    subject, text = message_text(_alarm(), "raised", "zh")
    assert subject == "[水效预警·警告] 报警：PT-201 读数停滞"
    assert "报警时间：2025-03-02 00:05（Asia/Shanghai）" in text and "确认处理：shuixiao alarm ack 9" in text
    cleared = _alarm(
        state=AlarmState.CLEARED, cleared_at=T0, cleared_by="system", escalated=1, severity=Severity.MAJOR
    )
    subject, text = message_text(cleared, "cleared", "en", "UTC")
    assert subject == "[shuixiao alarm · major] Cleared: PT-201 stuck"
    assert "Cleared: 2025-03-01 16:05 by system" in text and "(escalated 1×)" in text and "ack" not in text
    _, text = message_text(
        _alarm(state=AlarmState.ACKNOWLEDGED, acknowledged_at=T0, acknowledged_by="wang"),
        "acknowledged",
        "zh",
    )
    assert "确认：2025-03-02 00:05，wang" in text


def test_payload_is_json_ready_with_both_languages() -> None:
    payload = alarm_payload(_alarm(), "escalated", "en")
    assert payload["schema"] == SCHEMA and payload["event"] == "escalated" and payload["language"] == "en"
    assert set(payload["subject"]) == set(payload["text"]) == {"zh", "en"}
    assert json.loads(json.dumps(payload, ensure_ascii=False)) == payload
    data = alarm_dict(_alarm())
    assert data["raised_at"] == "2025-03-01T16:05:00+00:00" and data["acknowledged_at"] is None
    assert data["initial_severity"] == "warning"
