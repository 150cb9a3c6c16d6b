# Make a PostgreSQL server reachable for the storage tests, and export SHUIXIAO_TEST_POSTGRES_URL.
# Order: an URL already given; a server on 127.0.0.1:5432; start an installed cluster; under CI=true
# (as root, with apt) install Debian's postgresql and start it. Otherwise the PostgreSQL tests skip
# loudly (and fail under CI=true).
pg_url="${SHUIXIAO_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"

pg_ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }

pg_start_cluster() {
  command -v pg_ctlcluster >/dev/null 2>&1 || return 1
  local version
  version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$version" ] || return 1
  echo "==> starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do pg_ready && return 0; sleep 0.5; done
  return 1
}

pg_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "==> installing PostgreSQL from Debian packages"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
  local version hba
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  # A throw-away test cluster: trust local TCP connections, as on the project's machines.
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  pg_start_cluster
}

if [ -z "${SHUIXIAO_TEST_POSTGRES_URL:-}" ] && ! pg_ready; then
  pg_start_cluster || { [ "${CI:-}" = "true" ] && pg_install; } || true
fi
if pg_ready || [ -n "${SHUIXIAO_TEST_POSTGRES_URL:-}" ]; then
  export SHUIXIAO_TEST_POSTGRES_URL="$pg_url"
else
  echo "!!! PostgreSQL is not reachable on 127.0.0.1:5432: its tests will be SKIPPED (they fail under CI=true)" >&2
fi
