#!/usr/bin/env bash
# A stand-in for the seed's scripts/canary-ramp.sh ENV PERCENT, for the command actuator tests.
# Instead of `wrangler kv:key put CANARY_PERCENT`, it POSTs the percent to the Mission Control
# at $MISSION_URL (the simulator) with $OPS_TOKEN. Knobs for tests:
#   FAKE_RAMP_EXIT=N     exit N after printing (no change made)
#   FAKE_RAMP_SLEEP=S    sleep S seconds first (to exercise the timeout)
#   FAKE_RAMP_LIE=1      print success and exit 0 without changing anything
#   FAKE_RAMP_FAIL_FIRST=N with FAKE_RAMP_COUNTER=FILE   fail (exit 1) the first N runs, counted in FILE
set -euo pipefail

ENV=${1:?usage: canary-ramp.sh ENV PERCENT}
PERCENTAGE=${2:?usage: canary-ramp.sh ENV PERCENT}

echo "🚀 Ghost Recon Canary Ramp Controller"
echo "================================"
echo "Setting canary to ${PERCENTAGE}% in ${ENV}..."

if [ -n "${FAKE_RAMP_SLEEP:-}" ]; then
    sleep "${FAKE_RAMP_SLEEP}"
fi
if [ -n "${FAKE_RAMP_FAIL_FIRST:-}" ]; then
    runs=$(( $(cat "${FAKE_RAMP_COUNTER:?}" 2>/dev/null || echo 0) + 1 ))
    echo "${runs}" > "${FAKE_RAMP_COUNTER}"
    if [ "${runs}" -le "${FAKE_RAMP_FAIL_FIRST}" ]; then
        echo "❌ Failed to update canary (run ${runs})" >&2
        exit 1
    fi
fi
if [ -n "${FAKE_RAMP_EXIT:-}" ]; then
    echo "❌ Failed to update canary" >&2
    exit "${FAKE_RAMP_EXIT}"
fi
if [ -z "${FAKE_RAMP_LIE:-}" ]; then
    curl -sS -f -o /dev/null -X POST "${MISSION_URL:?MISSION_URL not set}/api/ghost/canary" \
        -H "Authorization: Bearer ${OPS_TOKEN:?OPS_TOKEN not set}" \
        -H "Content-Type: application/json" \
        -d "{\"percent\": ${PERCENTAGE}, \"actor\": \"canary-ramp.sh\", \"note\": \"${ENV}\"}"
fi
echo "✅ Canary updated to ${PERCENTAGE}%"
