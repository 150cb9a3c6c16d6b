# Make Debian's Chromium (and a Chinese font for it) available for the browser tests, and export
# SHUIXIAO_CHROMIUM. Order: SHUIXIAO_CHROMIUM already given; /usr/bin/chromium; as root with apt,
# install Debian's chromium package. Playwright drives this browser through its executable path and
# never downloads one. Without a CJK font the Chinese pages render as boxes in the screenshots, so
# fonts-wqy-microhei is installed alongside when fontconfig knows no Chinese font. Otherwise the
# browser tests skip loudly (and fail under CI=true).
chromium_exe="${SHUIXIAO_CHROMIUM:-/usr/bin/chromium}"

chromium_apt() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "==> installing $* from Debian packages"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

chromium_has_cjk_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]; }

if [ ! -x "$chromium_exe" ]; then
  chromium_apt chromium fonts-wqy-microhei || true
elif ! chromium_has_cjk_font; then
  chromium_apt fonts-wqy-microhei || echo "!!! no Chinese font: screenshots show boxes (apt-get install fonts-wqy-microhei)" >&2
fi
if [ -x "$chromium_exe" ]; then
  export SHUIXIAO_CHROMIUM="$chromium_exe"
else
  echo "!!! no Chromium at $chromium_exe: the browser tests will be SKIPPED (they fail under CI=true)." >&2
  echo "    Install it (Debian: sudo apt-get install chromium) or set SHUIXIAO_CHROMIUM=/path/to/chromium" >&2
fi
