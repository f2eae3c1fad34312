#!/usr/bin/env bash
# Checks bot events (README "Bot events and incoming webhooks", D44) with the
# AWS sample chat bot's flow in Python: boto3 for the API, an HTTPS bot whose
# throwaway certificate the server trusts through SSL_CERT_FILE.
set -euo pipefail
trap 'echo "bots: failed at line $LINENO" >&2' ERR
cd "$(dirname "$0")/.."
. .ci/lib.sh

use_work_dir
build_openchime
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/bot.key" -out "$work/bot.pem" 2>/dev/null
export SSL_CERT_FILE="$work/bot.pem"
start_openchime server "$(free_port)" --db :memory: --log-level warn
curl -fsS "$endpoint/_openchime/info" | grep -q '"Version"' # the server this script started
python3 .ci/sample_bot.py "$endpoint" "$work/bot.pem" "$work/bot.key"
grep -q 'openchime_bot_events_total{event="Mention",outcome="delivered"} 1' <(curl -fsS "$endpoint/metrics")
echo "bots: OK"
