"""A Bolt for Python app (asyncio, aiohttp) doing what firebell does for `/incident help`:
check the request's signature and timestamp (Bolt does), acknowledge with an ephemeral reply."""

import logging
import os

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

logging.basicConfig(level=logging.ERROR)


async def authorize(enterprise_id, team_id, logger):
    """The identity firebell is given by SLACK_TEAM_ID: no auth.test, nothing talks to Slack."""
    return AuthorizeResult(
        enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-bench", bot_id="B0BENCH", bot_user_id="U0BOT"
    )


app = AsyncApp(signing_secret=os.environ["SLACK_SIGNING_SECRET"], authorize=authorize)


@app.command("/incident")
async def incident(ack):
    await ack(response_type="ephemeral", text="Commands: declare, update, status, severity, resolve, help.")


if __name__ == "__main__":
    app.start(port=int(os.environ["PORT"]), path="/slack/commands")
