"""Tests of the ``shuixiao`` command, called as ``main(argv)`` (as httpx tests its CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shuixiao.cli import main

pytestmark = pytest.mark.integration

MODELS = Path(__file__).parents[1] / "data" / "models"


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for noun in ("db", "demo", "model"):
        assert noun in out


def test_readme_help_block_is_current(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The README shows `shuixiao --help` at 100 columns; keep it true (sigstore's `make check-readme`).
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out.strip()
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"```text\n$ shuixiao --help\n{help_text}\n```" in readme, (
        "run `.venv/bin/python scripts/cli-docs`"
    )


def test_import_show_export_round_trip(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("db", "upgrade")[0] == 0
    status, out, err = run("model", "import", str(MODELS / "paper_mill.yaml"))
    assert status == 0, err
    assert "已导入" in out

    status, out, _ = run("model", "show", "--json")
    listed = json.loads(out)
    assert [e["id"] for e in listed] == ["xt-paper"]
    enterprise = listed[0]["id"]

    status, out, _ = run("model", "show")
    assert "企业一览" in out and enterprise in out
    status, out, _ = run("--lang", "en", "model", "show", "--enterprise", enterprise)
    assert status == 0 and "Water units" in out and "Meters" in out
    assert "2221 Manufacture of machine-made paper and paperboard" in out and "机制纸" not in out
    status, out, _ = run("model", "show", "--enterprise", enterprise)
    assert "统一社会信用代码" in out and "冷却塔" in out and "2221 机制纸及纸板制造" in out

    exported = tmp_path / "out.yaml"
    assert run("model", "export", "--enterprise", enterprise, "-o", str(exported))[0] == 0
    status, _, err = run("model", "import", str(exported))
    assert status == 1 and "--replace" in err
    assert run("model", "import", str(exported), "--replace")[0] == 0
    json_copy = tmp_path / "out.json"
    assert run("model", "export", "--enterprise", enterprise, "-o", str(json_copy))[0] == 0
    status, out, _ = run("model", "validate", str(json_copy))
    assert status == 0 and "模型有效" in out


def test_five_mistakes_are_all_reported_without_traceback(run) -> None:  # type: ignore[no-untyped-def]
    status, out, err = run("model", "validate", str(MODELS / "five_mistakes.yaml"))
    assert status == 1
    assert "5 problems found" in err
    assert err.count("\n  - line ") == 5
    assert "Traceback" not in err


def test_import_of_a_bad_file_imports_nothing(run) -> None:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    status, _, err = run("model", "import", str(MODELS / "five_mistakes.yaml"))
    assert status == 1 and "5 problems found" in err
    status, out, _ = run("model", "show", "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("model", "show", "--enterprise", "nope"), "nope"),
        (("model", "import", "missing.yaml"), "missing.yaml"),
        (("model", "export", "--enterprise", "x", "-o", "plant.txt"), "plant.txt"),
    ],
)
def test_user_mistakes_exit_1_with_a_message(run, argv: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    status, _, err = run(*argv)
    assert status == 1
    assert err.startswith("shuixiao: error: ") and message in err
    assert "Traceback" not in err


def test_commands_before_db_upgrade_say_what_to_run(run) -> None:  # type: ignore[no-untyped-def]
    status, _, err = run("model", "show")
    assert status == 1 and "shuixiao db upgrade" in err


def test_db_status(run) -> None:  # type: ignore[no-untyped-def]
    status, out, _ = run("db", "status")
    assert status == 0 and "shuixiao db upgrade" in out
    run("db", "upgrade")
    status, out, _ = run("--lang", "en", "db", "status")
    assert "Schema revision: 0010" in out


def test_bad_configuration_exits_1(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "shuixiao.toml").write_text('database_url = "oracle://x"\n')
    status, _, err = run("db", "status")
    assert status == 1 and "database_url" in err and "Traceback" not in err


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "build", "--interval", "fast"])
    assert info.value.code == 2
    assert "'fast' is not an interval" in capsys.readouterr().err


def test_demo_build_then_show(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    status, out, err = run("demo", "build", "--days", "1", "--enterprises", "2", "--interval", "1h")
    assert status == 0, err
    assert "示范园区已生成：2 家企业" in out
    assert (tmp_path / "data" / "demo" / "truth.json").is_file()
    status, out, _ = run("demo", "build", "--days", "1", "--enterprises", "2", "--interval", "1h")
    assert status == 0 and "--replace" in out
    listed = json.loads(run("model", "show", "--json")[1])
    assert [e["industry_code"] for e in listed] == ["3120", "2511"]
    assert all(e["readings"] > 0 for e in listed)
    status, out, _ = run("model", "show", "--enterprise", "ronghu-steel")
    assert status == 0 and "冷却塔" in out and "数据：" in out
    status, out, err = run("--lang", "en", "demo", "build", "--days", "1", "--enterprises", "2", "--replace")
    assert status == 0, err
    assert "Demo park built: 2 enterprises" in out


def test_demo_build_rejects_bad_options(run) -> None:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    status, _, err = run("demo", "build", "--interval", "700")
    assert status == 1 and "does not divide a day" in err
