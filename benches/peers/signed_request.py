"""Writes a wrk script that POSTs one `/incident help` slash command, signed with
SLACK_SIGNING_SECRET as Slack signs it (v0, HMAC-SHA256 over "v0:timestamp:body"), timestamped
now: every server under test checks the same signature and the same 5-minute window."""

import hashlib
import hmac
import os
import sys
import time
import urllib.parse

secret = os.environ["SLACK_SIGNING_SECRET"].encode()
body = urllib.parse.urlencode({
    "token": "legacy", "team_id": "T0BENCH", "team_domain": "bench", "channel_id": "C0GENERAL",
    "channel_name": "general", "user_id": "U0BENCH", "user_name": "bench", "command": "/incident",
    "text": "help", "api_app_id": "A0BENCH", "response_url": "https://hooks.slack.com/commands/T0BENCH/1/x",
    "trigger_id": "1.2.3",
})
timestamp = str(int(time.time()))
signature = "v0=" + hmac.new(secret, f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
with open(sys.argv[1], "w") as lua:
    lua.write(f'wrk.method = "POST"\nwrk.body = "{body}"\n')
    lua.write('wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
    lua.write(f'wrk.headers["X-Slack-Request-Timestamp"] = "{timestamp}"\n')
    lua.write(f'wrk.headers["X-Slack-Signature"] = "{signature}"\n')
