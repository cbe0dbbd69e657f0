#!/bin/sh
# Renders Alertmanager's configuration for autogen-otel from the environment, then (with
# arguments) execs Alertmanager with it. The Compose service runs it as its entrypoint:
#   render-config.sh OUTPUT [alertmanager args...]
#
# Receivers are turned on by setting their variables (deploy/.env), each secret either as a
# value or as a *_FILE path to a mounted secret file. Secret values never appear in the YAML:
# they are written to private files that the config names through Alertmanager's *_file fields.
#   ALERTMANAGER_SLACK_WEBHOOK_URL[_FILE]   (ALERTMANAGER_SLACK_CHANNEL optional)
#   ALERTMANAGER_WEBHOOK_URL[_FILE]         any HTTP endpoint taking Alertmanager's webhook JSON
#   ALERTMANAGER_EMAIL_TO, ALERTMANAGER_EMAIL_FROM, ALERTMANAGER_SMTP_SMARTHOST (host:port),
#   ALERTMANAGER_SMTP_USERNAME, ALERTMANAGER_SMTP_PASSWORD[_FILE], ALERTMANAGER_SMTP_REQUIRE_TLS (true)
#   ALERTMANAGER_PAGERDUTY_ROUTING_KEY[_FILE]  pages only for severity=critical
# With none set, Alertmanager still starts; alerts show in its API and in Grafana, and this
# script says loudly that notifications go nowhere.
set -eu
out=${1:?usage: render-config.sh OUTPUT [alertmanager args...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
secrets=${ALERTMANAGER_SECRETS_DIR:-/tmp/autogen-alertmanager-secrets}
umask 077
mkdir -p "$secrets"

# secret NAME VAR: path of a file holding the secret from $VAR_FILE or $VAR, or nothing.
secret() {
  eval "file=\${$2_FILE:-}; value=\${$2:-}"
  if [ -n "$file" ]; then
    [ -r "$file" ] || { echo "render-config: $2_FILE=$file is not readable" >&2; exit 2; }
    echo "$file"
  elif [ -n "$value" ]; then
    printf '%s' "$value" > "$secrets/$1"
    echo "$secrets/$1"
  fi
}

slack=$(secret slack_webhook_url ALERTMANAGER_SLACK_WEBHOOK_URL)
webhook=$(secret webhook_url ALERTMANAGER_WEBHOOK_URL)
pagerduty=$(secret pagerduty_routing_key ALERTMANAGER_PAGERDUTY_ROUTING_KEY)
smtp_password=$(secret smtp_password ALERTMANAGER_SMTP_PASSWORD)
email_to=${ALERTMANAGER_EMAIL_TO:-}
if [ -n "$email_to" ] && [ -z "${ALERTMANAGER_SMTP_SMARTHOST:-}" ]; then
  echo "render-config: ALERTMANAGER_EMAIL_TO is set but ALERTMANAGER_SMTP_SMARTHOST (host:port) is not" >&2
  exit 2
fi

# receiver_configs PAGE: the integrations of one receiver (PAGE=1 adds PagerDuty).
receiver_configs() {
  if [ -n "$slack" ]; then cat <<YAML
    slack_configs:
      - api_url_file: '$slack'
        send_resolved: true
        title: '{{ template "autogen.title" . }}'
        title_link: '{{ template "autogen.dashboard_link" . }}'
        text: '{{ template "autogen.text" . }}'
YAML
    if [ -n "${ALERTMANAGER_SLACK_CHANNEL:-}" ]; then echo "        channel: '${ALERTMANAGER_SLACK_CHANNEL}'"; fi
  fi
  if [ -n "$webhook" ]; then cat <<YAML
    webhook_configs:
      - url_file: '$webhook'
        send_resolved: true
YAML
  fi
  if [ -n "$email_to" ]; then cat <<YAML
    email_configs:
      - to: '$email_to'
        send_resolved: true
        headers:
          Subject: '{{ template "autogen.title" . }}'
        text: '{{ template "autogen.text" . }}'
        html: '{{ template "autogen.html" . }}'
YAML
  fi
  if [ "$1" = 1 ] && [ -n "$pagerduty" ]; then cat <<YAML
    pagerduty_configs:
      - routing_key_file: '$pagerduty'
        send_resolved: true
        description: '{{ template "autogen.title" . }}'
        client: autogen-otel
        client_url: '{{ template "autogen.dashboard_link" . }}'
        details:
          summary: '{{ template "autogen.text" . }}'
YAML
  fi
}

{
  cat <<YAML
# Rendered by deploy/alertmanager/render-config.sh from the environment; do not edit.
global:
  resolve_timeout: 5m
YAML
  if [ -n "$email_to" ]; then
    cat <<YAML
  smtp_smarthost: '${ALERTMANAGER_SMTP_SMARTHOST}'
  smtp_from: '${ALERTMANAGER_EMAIL_FROM:-autogen-alerts@localhost}'
  smtp_require_tls: ${ALERTMANAGER_SMTP_REQUIRE_TLS:-true}
YAML
    if [ -n "${ALERTMANAGER_SMTP_USERNAME:-}" ]; then echo "  smtp_auth_username: '${ALERTMANAGER_SMTP_USERNAME}'"; fi
    if [ -n "$smtp_password" ]; then echo "  smtp_auth_password_file: '$smtp_password'"; fi
  fi
  cat <<YAML
templates:
  - '$here/templates/*.tmpl'
route:
  receiver: autogen-notify
  # One notification per alert and team (and service): five runaway runs of one team are one message.
  group_by: [alertname, service_name, gen_ai_workflow_name]
  group_wait: ${ALERTMANAGER_GROUP_WAIT:-30s}
  group_interval: ${ALERTMANAGER_GROUP_INTERVAL:-5m}
  # Agent runs last minutes: a still-firing alert is repeated every few hours, not every few minutes.
  repeat_interval: 4h
  routes:
    - matchers: ['severity="critical"']
      receiver: autogen-page
      group_wait: ${ALERTMANAGER_CRITICAL_GROUP_WAIT:-10s}
      repeat_interval: 1h
    - matchers: ['severity="info"']
      receiver: autogen-notify
      repeat_interval: 24h
inhibit_rules:
  # No telemetry at all: the alerts that depend on it (a silent process, stalled runs) are noise.
  - source_matchers: ['alertname="AutoGenTelemetryAbsent"']
    target_matchers: ['alertname=~"AutoGen.+"', 'alertname!="AutoGenTelemetryAbsent"']
  # A critical alert of a team makes its warnings redundant.
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [service_name, gen_ai_workflow_name]
receivers:
  - name: autogen-notify
YAML
  receiver_configs 0
  echo "  - name: autogen-page"
  receiver_configs 1
} > "$out"

channels=""
[ -n "$slack" ] && channels="$channels slack"
[ -n "$webhook" ] && channels="$channels webhook"
[ -n "$email_to" ] && channels="$channels email"
[ -n "$pagerduty" ] && channels="$channels pagerduty(critical)"
if [ -z "$channels" ]; then
  echo "autogen-otel alertmanager: NO RECEIVER CONFIGURED - alerts fire but notifications go nowhere." >&2
  echo "  Set ALERTMANAGER_SLACK_WEBHOOK_URL, ALERTMANAGER_WEBHOOK_URL, ALERTMANAGER_EMAIL_TO (+ SMTP) or" >&2
  echo "  ALERTMANAGER_PAGERDUTY_ROUTING_KEY (or their *_FILE secrets) in deploy/.env." >&2
else
  echo "autogen-otel alertmanager: notifications go to:$channels" >&2
fi

if [ "$#" -gt 0 ]; then exec "$@" --config.file="$out"; fi
