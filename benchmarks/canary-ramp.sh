#!/usr/bin/env bash
# The seed's way to roll back: `canary-ramp.sh ENV 0`, one bash script and one curl POST.
# (A stand-in for scripts/canary-ramp.sh: it POSTs to $MISSION_URL instead of writing the KV key.)
set -euo pipefail
ENV=${1:?usage: canary-ramp.sh ENV PERCENT}
PERCENTAGE=${2:?usage: canary-ramp.sh ENV PERCENT}
echo "Setting canary to ${PERCENTAGE}% in ${ENV}..."
curl -sS -f -o /dev/null -X POST "${MISSION_URL:?}/api/ghost/canary" \
    -H "Authorization: Bearer ${OPS_TOKEN:?}" \
    -H "Content-Type: application/json" \
    -d "{\"percent\": ${PERCENTAGE}, \"actor\": \"canary-ramp.sh\", \"note\": \"${ENV}\"}"
echo "Canary updated to ${PERCENTAGE}%"
