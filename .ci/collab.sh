#!/usr/bin/env bash
# Checks bots, rooms, memberships, retention and redaction (README
# "Collaboration") against a freshly built server with the AWS CLI and curl.
set -euo pipefail
trap 'echo "collab: failed at line $LINENO" >&2' ERR
cd "$(dirname "$0")/.."
. .ci/lib.sh
need_jq
need_aws

use_work_dir
build_openchime
start_openchime server "$(free_port)" --db :memory: --log-level warn
U=$endpoint
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1
chime() { aws chime --endpoint-url $U --output json "$@"; }

A=$(curl -sf -X POST $U/_openchime/accounts -d '{"Name":"ci","AccountType":"EnterpriseLWA"}' | jq -r .Account.AccountId)
T=$(curl -sf -X POST $U/_openchime/accounts -d '{"Name":"team"}' | jq -r .Account.AccountId)
USER=$(curl -sf -X POST $U/_openchime/accounts/$A/users -d '{"PrimaryEmail":"a@example.com"}' | jq -r .User.UserId)

bot=$(chime create-bot --account-id "$A" --display-name helper --domain example.com)
B=$(jq -r .Bot.BotId <<<"$bot")
[ "$(jq -r .Bot.DisplayName <<<"$bot")" = "helper (Bot)" ]
[ "$(jq -r .Bot.BotEmail <<<"$bot")" = helper-chimebot@example.com ]
[ "$(jq -r '.Bot.SecurityToken | length' <<<"$bot")" = 40 ]
# An HTTPS endpoint must answer the verification challenge (D44, .ci/bots.sh
# runs a bot); a Lambda ARN is stored unchecked without --lambda-endpoint.
chime put-events-configuration --account-id "$A" --bot-id "$B" --lambda-function-arn arn:aws:lambda:us-east-1:111122223333:function:helper >/dev/null

R=$(chime create-room --account-id "$A" --name standup | jq -r .Room.RoomId)
out=$(chime batch-create-room-membership --account-id "$A" --room-id "$R" \
  --membership-item-list MemberId=$USER,Role=Administrator MemberId=$B MemberId=ghost)
[ "$(jq -c '[.Errors[] | [.MemberId, .ErrorCode]]' <<<"$out")" = '[["ghost","NotFound"]]' ]
[ "$(chime list-room-memberships --account-id "$A" --room-id "$R" | jq '.RoomMemberships | length')" = 2 ]
[ "$(chime list-rooms --account-id "$A" --member-id "$B" | jq -r '.Rooms[0].RoomId')" = "$R" ]

# Redaction of a control-plane message; the message reads back redacted.
M=$(curl -sf -X POST $U/_openchime/accounts/$A/rooms/$R/messages -d '{"SenderId":"'"$USER"'","Content":"oops"}' | jq -r .Message.MessageId)
chime redact-room-message --account-id "$A" --room-id "$R" --message-id "$M"
[ "$(curl -sf $U/_openchime/accounts/$A/rooms/$R/messages | jq -c '.Messages[0] | [.Redacted, .Content]')" = '[true,null]' ]

chime put-retention-settings --account-id "$A" --retention-settings 'RoomRetentionSettings={RetentionDays=30}' >/dev/null
[ "$(chime get-retention-settings --account-id "$A" | jq -r .RetentionSettings.RoomRetentionSettings.RetentionDays)" = 30 ]

# A Team account is refused (D14).
if chime list-rooms --account-id "$T" 2>"$work/err.txt"; then echo "collab: list-rooms on a Team account succeeded" >&2; exit 1; fi
grep -q "ForbiddenException.*not an Enterprise Chime Account" "$work/err.txt"
echo "collab: OK"
