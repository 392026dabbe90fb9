#!/bin/sh
# Runs in the MailHog container: when EMAIL_HOST_USER/EMAIL_HOST_PASSWORD are set, MailHog requires
# SMTP AUTH with them (as the original's setup does); otherwise it accepts mail without AUTH.
set -eu
if [ -n "${EMAIL_HOST_USER:-}" ] && [ -n "${EMAIL_HOST_PASSWORD:-}" ]; then
  hash="$(MailHog bcrypt "$EMAIL_HOST_PASSWORD")"
  echo "${EMAIL_HOST_USER}:${hash}" > /tmp/mailhog.auth
  exec MailHog -auth-file=/tmp/mailhog.auth
fi
exec MailHog
