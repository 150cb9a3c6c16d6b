# Make BattLeDIM's L-Town network available to the leak tests and export SHUIXIAO_LTOWN_INP.
# Order: SHUIXIAO_LTOWN_INP already given; a copy cached in .cache/; the L-TOWN.inp shipped in the
# epyt wheel, fetched from PyPI without its dependencies (pip download, about 4 MB) and unpacked
# into .cache/. Otherwise the L-Town tests skip loudly (and fail under CI=true).
ltown_version="2.3.5.3"
ltown_cache="$ROOT/.cache/ltown"
ltown_file="$ltown_cache/L-TOWN.inp"

if [ -z "${SHUIXIAO_LTOWN_INP:-}" ]; then
  if [ ! -s "$ltown_file" ]; then
    echo "==> fetching L-TOWN.inp (epyt $ltown_version wheel from PyPI)"
    mkdir -p "$ltown_cache"
    if python -m pip download --quiet --no-deps "epyt==$ltown_version" -d "$ltown_cache" >/dev/null 2>&1; then
      python - "$ltown_cache" "$ltown_file" <<'PY' || rm -f "$ltown_file"
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("epyt-*.whl"))
with zipfile.ZipFile(wheel) as archive:
    pathlib.Path(sys.argv[2]).write_bytes(archive.read("epyt/networks/L-TOWN.inp"))
PY
    fi
  fi
  if [ -s "$ltown_file" ]; then
    export SHUIXIAO_LTOWN_INP="$ltown_file"
  else
    echo "!!! no L-TOWN.inp: the L-Town tests will be SKIPPED (they fail under CI=true)." >&2
    echo "    pip install epyt, or set SHUIXIAO_LTOWN_INP=/path/to/L-TOWN.inp" >&2
  fi
fi
