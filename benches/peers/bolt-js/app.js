// A Bolt for JavaScript app doing what firebell does for `/incident help`: check the request's
// signature and timestamp (Bolt's receiver does), acknowledge with an ephemeral reply.
const { App, LogLevel } = require("@slack/bolt");

const app = new App({
  signingSecret: process.env.SLACK_SIGNING_SECRET,
  // The identity firebell is given by SLACK_TEAM_ID: no auth.test, nothing here talks to Slack.
  authorize: async () => ({ botToken: "xoxb-bench", botId: "B0BENCH", botUserId: "U0BOT" }),
  endpoints: "/slack/commands",
  logLevel: LogLevel.ERROR,
});

app.command("/incident", async ({ ack }) => {
  await ack({ response_type: "ephemeral", text: "Commands: declare, update, status, severity, resolve, help." });
});

app.start(Number(process.env.PORT)).then(() => console.log("bolt-js listening"));
