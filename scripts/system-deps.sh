#!/bin/sh
# Install the real programs the test suite drives, where they are missing.
# Debian packages only; runs as root (as on CI) or through sudo.
set -e
need=""
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need="$need openssh-server"
command -v ssh >/dev/null 2>&1 || need="$need openssh-client"
# The browser tests drive Debian's Chromium through Playwright (executable_path
# /usr/bin/chromium); Playwright's own browser download is never used.
[ -x /usr/bin/chromium ] || need="$need chromium fonts-dejavu-core"
# Monitoring tests start Debian's Prometheus (it ships promtool) and Alertmanager themselves,
# on free loopback ports with temporary data directories.
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || need="$need prometheus"
command -v prometheus-alertmanager >/dev/null 2>&1 || need="$need prometheus-alertmanager"
# The restic backup driver's tests run Debian's restic against a local repository.
command -v restic >/dev/null 2>&1 || need="$need restic"
[ -n "$need" ] || exit 0
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
echo "Installing test dependencies:$need"
$SUDO apt-get update -qq
# Keep the packages' own services (prometheus, alertmanager) from starting on install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
