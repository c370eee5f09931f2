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
[ -n "$need" ] || exit 0
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
echo "Installing test dependencies:$need"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
