# Make an MQTT broker reachable for the ingestion tests on 127.0.0.1:1883.
# Order: SHUIXIAO_TEST_MQTT already given; a broker answering on 1883; start an installed mosquitto;
# under CI=true (as root, with apt) install Debian's mosquitto and start it. Otherwise the MQTT tests
# skip loudly (and fail under CI=true).
mqtt_ready() { (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; }

mqtt_start() {
  local exe
  exe="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
  [ -x "$exe" ] || return 1
  echo "==> starting mosquitto"
  if [ -f /etc/mosquitto/mosquitto.conf ]; then "$exe" -d -c /etc/mosquitto/mosquitto.conf; else "$exe" -d -p 1883; fi
  for _ in $(seq 1 20); do mqtt_ready && return 0; sleep 0.25; done
  return 1
}

mqtt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "==> installing mosquitto from Debian packages"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null || return 1
  mqtt_start
}

if [ -z "${SHUIXIAO_TEST_MQTT:-}" ] && ! mqtt_ready; then
  mqtt_start || { [ "${CI:-}" = "true" ] && mqtt_install; } || true
  mqtt_ready || echo "!!! no MQTT broker on 127.0.0.1:1883: the MQTT tests will be SKIPPED (they fail under CI=true)" >&2
fi
