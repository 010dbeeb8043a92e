//! Self-tests of the fake Slack Web API in `support::fake_slack`: each drives the fake
//! through slack-morphism's real hyper client, built the way firebell builds it, so the
//! fake's answers are known to decode into the crate's typed responses.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers; clippy.toml's allow-*-in-tests covers only #[test] bodies"
)]

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use serde_json::{Value, json};
use slack_morphism::errors::{SlackClientApiError, SlackClientError};
use slack_morphism::prelude::*;

use crate::support::fake_slack::{APP_TOKEN, BOT_USER_ID, FakeSlack, Fault, TOKEN};

type Client = SlackClient<SlackClientHyperHttpsConnector>;

fn client_for(api_url: &str) -> Client {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .expect("native TLS roots load")
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    let connector = SlackClientHyperConnector::with_connector(https).with_slack_api_url(api_url);
    SlackClient::new(connector)
}

/// A client pointed at the fake, base URL without the trailing slash as SLACK.md shows.
fn client(fake: &FakeSlack) -> Client {
    client_for(fake.api_url().trim_end_matches('/'))
}

fn token(value: &str) -> SlackApiToken {
    SlackApiToken::new(SlackApiTokenValue(value.to_string()))
}

async fn within<T>(call: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), call).await.expect("the fake answered within 10 s")
}

fn api_error<T: Debug>(result: ClientResult<T>) -> SlackClientApiError {
    match result {
        Err(SlackClientError::ApiError(error)) => error,
        other => panic!("expected a Slack API error, got {other:?}"),
    }
}

fn channel_id(id: &str) -> SlackChannelId {
    SlackChannelId(id.to_string())
}

fn text_message(text: &str) -> SlackMessageContent {
    SlackMessageContent::new().with_text(text.to_string())
}

async fn create_channel(
    session: &SlackClientSession<'_, SlackClientHyperHttpsConnector>,
    name: &str,
) -> SlackChannelId {
    let request = SlackApiConversationsCreateRequest::new(name.to_string());
    within(session.conversations_create(&request)).await.expect("channel created").channel.id
}

#[tokio::test]
async fn auth_test_reports_the_bot_user_and_the_configured_team() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.set_team("T0OTHER");
    let client = client(&fake);
    let token = token(TOKEN);
    let answer = within(client.open_session(&token).auth_test()).await.expect("auth.test");
    assert_eq!(answer.user_id.value(), BOT_USER_ID);
    assert_eq!(answer.team_id.value(), "T0OTHER");
    assert!(answer.bot_id.is_some());
    let calls = fake.calls_to("auth.test");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].token.as_deref(), Some(TOKEN));
}

#[tokio::test]
async fn a_base_url_with_a_trailing_slash_still_reaches_the_method() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client_for(&fake.api_url());
    let token = token(TOKEN);
    within(client.open_session(&token).auth_test()).await.expect("auth.test via //auth.test");
    assert_eq!(fake.calls()[0].method, "auth.test");
}

#[tokio::test]
async fn a_wrong_token_is_invalid_auth_and_a_revoked_one_is_token_revoked() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client(&fake);
    let wrong = token("xoxb-wrong");
    let error = api_error(within(client.open_session(&wrong).auth_test()).await);
    assert_eq!(error.code, "invalid_auth");

    fake.revoke_token();
    let right = token(TOKEN);
    let error = api_error(within(client.open_session(&right).auth_test()).await);
    assert_eq!(error.code, "token_revoked");
}

#[tokio::test]
async fn conversations_create_makes_a_channel_with_the_bot_in_it_and_refuses_a_taken_name() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);

    let id = create_channel(&session, "inc-20260101-1-db-down").await;
    assert!(id.value().starts_with('C'), "public channel id {id}");
    let channel = fake.channel(id.value()).expect("channel stored");
    assert_eq!(channel.name, "inc-20260101-1-db-down");
    assert_eq!(channel.members, vec![BOT_USER_ID.to_string()]);
    assert_eq!(fake.channel_by_name("inc-20260101-1-db-down").map(|c| c.id), Some(id.0.clone()));

    let again = SlackApiConversationsCreateRequest::new("inc-20260101-1-db-down".into());
    assert_eq!(api_error(within(session.conversations_create(&again)).await).code, "name_taken");

    let private = SlackApiConversationsCreateRequest::new("inc-secret".into()).with_is_private(true);
    let private = within(session.conversations_create(&private)).await.expect("private channel");
    assert!(private.channel.id.value().starts_with('G'));
    assert_eq!(private.channel.flags.is_private, Some(true));
}

#[tokio::test]
async fn conversations_create_refuses_names_slack_refuses() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let cases = [
        ("Inc Upper", "invalid_name_specials"),
        ("inc.dot", "invalid_name_specials"),
        ("---", "invalid_name_punctuation"),
        ("", "invalid_name_required"),
    ];
    let too_long = "a".repeat(81);
    for (name, code) in cases.into_iter().chain([(too_long.as_str(), "invalid_name_maxlength")]) {
        let request = SlackApiConversationsCreateRequest::new(name.to_string());
        assert_eq!(api_error(within(session.conversations_create(&request)).await).code, code, "name {name:?}");
    }
    assert!(fake.channel_by_name(&"a".repeat(80)).is_none());
    create_channel(&session, &"a".repeat(80)).await;
}

#[tokio::test]
async fn inviting_with_one_unknown_user_invites_nobody_and_names_that_user() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_user("U0ALICE", "alice");
    fake.add_user("U0BOB", "bob");
    fake.add_deactivated_user("U0GONE", "gone");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let id = create_channel(&session, "inc-invite").await;
    let invite = |users: &[&str]| {
        let users = users.iter().map(|u| SlackUserId(u.to_string())).collect();
        SlackApiConversationsInviteRequest::new(id.clone(), users)
    };

    let error = api_error(within(session.conversations_invite(&invite(&["U0ALICE", "U0NOBODY"]))).await);
    assert_eq!(error.code, "user_not_found");
    let errors = error.errors.expect("per-user errors").join(" ");
    assert!(errors.contains("U0NOBODY") && !errors.contains("U0ALICE"), "{errors}");
    assert_eq!(fake.channel(id.value()).expect("channel").members, vec![BOT_USER_ID.to_string()]);

    let invited = within(session.conversations_invite(&invite(&["U0ALICE", "U0BOB"]))).await;
    assert_eq!(invited.expect("both invited").channel.num_members, Some(3));
    let again = api_error(within(session.conversations_invite(&invite(&["U0ALICE"]))).await);
    assert_eq!(again.code, "already_in_channel");
    let gone = api_error(within(session.conversations_invite(&invite(&["U0GONE"]))).await);
    assert_eq!(gone.code, "cant_invite");
    let me = api_error(within(session.conversations_invite(&invite(&[BOT_USER_ID]))).await);
    assert_eq!(me.code, "cant_invite_self");
    let request = SlackApiConversationsInviteRequest::new(channel_id("C0MISSING"), vec![SlackUserId("U0BOB".into())]);
    assert_eq!(api_error(within(session.conversations_invite(&request)).await).code, "channel_not_found");
}

#[tokio::test]
async fn history_pages_newest_first_and_replies_list_the_parent_first() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let id = create_channel(&session, "inc-history").await;
    let mut posted = Vec::new();
    for n in 1..=5 {
        let request = SlackApiChatPostMessageRequest::new(id.clone(), text_message(&format!("m{n}")));
        let answer = within(session.chat_post_message(&request)).await.expect("posted");
        assert_eq!(answer.channel, id);
        posted.push(answer.ts);
    }
    assert!(posted.windows(2).all(|w| w[0].value() < w[1].value()), "ts increase: {posted:?}");
    let reply = fake.add_message(id.value(), "U0ALICE", "a reply", Some(posted[0].value()));

    let (mut texts, mut cursor, mut pages) = (Vec::new(), None, 0);
    loop {
        let request =
            SlackApiConversationsHistoryRequest::new().with_channel(id.clone()).with_limit(2).opt_cursor(cursor);
        let page = within(session.conversations_history(&request)).await.expect("history page");
        pages += 1;
        texts.extend(page.messages.iter().filter_map(|m| m.content.text.clone()));
        cursor = page.response_metadata.and_then(|m| m.next_cursor);
        assert_eq!(page.has_more, Some(cursor.is_some()));
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(texts, ["m5", "m4", "m3", "m2", "m1"]);
    assert_eq!(fake.calls_to("conversations.history")[0].params["limit"], "2");

    let request = SlackApiConversationsRepliesRequest::new(id.clone(), posted[0].clone());
    let thread = within(session.conversations_replies(&request)).await.expect("replies");
    let thread: Vec<_> = thread.messages.iter().map(|m| m.origin.ts.value().clone()).collect();
    assert_eq!(thread, [posted[0].value().clone(), reply]);
}

#[tokio::test]
async fn chat_update_edits_the_message_in_place_and_an_unknown_ts_is_message_not_found() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let id = create_channel(&session, "inc-update").await;
    let blocks = vec![SlackSectionBlock::new().with_text(md!("*SEV2* investigating")).into()];
    let content = text_message("SEV2 investigating").with_blocks(blocks);
    let request = SlackApiChatPostMessageRequest::new(id.clone(), content);
    let ts = within(session.chat_post_message(&request)).await.expect("posted").ts;

    let request = SlackApiChatUpdateRequest::new(id.clone(), text_message("SEV2 identified"), ts.clone());
    let updated = within(session.chat_update(&request)).await.expect("updated");
    assert_eq!(updated.ts, ts);
    let messages = fake.messages(id.value());
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].text, "SEV2 identified");
    assert!(messages[0].edited);
    assert_eq!(messages[0].blocks[0]["type"], "section", "blocks kept when not sent");

    let missing = SlackApiChatUpdateRequest::new(id, text_message("x"), SlackTs("1.000001".into()));
    assert_eq!(api_error(within(session.chat_update(&missing)).await).code, "message_not_found");
}

#[tokio::test]
async fn chat_post_message_needs_a_channel_the_bot_can_post_in() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_channel("C0PUBLIC", "public", false);
    fake.add_channel("G0PRIVATE", "private", true);
    fake.remove_member("C0PUBLIC", BOT_USER_ID);
    fake.remove_member("G0PRIVATE", BOT_USER_ID);
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let post = |id: &str| SlackApiChatPostMessageRequest::new(channel_id(id), text_message("hello"));

    within(session.chat_post_message(&post("C0PUBLIC"))).await.expect("chat:write.public");
    assert_eq!(api_error(within(session.chat_post_message(&post("G0PRIVATE"))).await).code, "channel_not_found");
    assert_eq!(api_error(within(session.chat_post_message(&post("C0NOPE"))).await).code, "channel_not_found");
    fake.set_chat_write_public(false);
    assert_eq!(api_error(within(session.chat_post_message(&post("C0PUBLIC"))).await).code, "not_in_channel");

    fake.add_user("U0ALICE", "alice");
    within(session.chat_post_message(&post("U0ALICE"))).await.expect("DM by user id");
    assert_eq!(fake.messages("U0ALICE")[0].text, "hello");
}

#[tokio::test]
async fn a_rate_limit_fault_surfaces_as_rate_limit_error_with_retry_after() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_channel("C0ROOM", "room", false);
    fake.inject("chat.postMessage", Fault::RateLimited { retry_after_secs: 7 });
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let request = SlackApiChatPostMessageRequest::new(channel_id("C0ROOM"), text_message("hi"));

    match within(session.chat_post_message(&request)).await {
        Err(SlackClientError::RateLimitError(error)) => {
            assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
            assert_eq!(error.code.as_deref(), Some("ratelimited"));
        }
        other => panic!("expected a rate limit error, got {other:?}"),
    }
    assert!(fake.messages("C0ROOM").is_empty());
    within(session.chat_post_message(&request)).await.expect("the fault is one-shot");
    assert_eq!(fake.calls_to("chat.postMessage").len(), 2);
}

#[tokio::test]
async fn a_slack_error_fault_surfaces_as_api_error_with_its_code() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.inject("*", Fault::SlackError("missing_scope".into()));
    let client = client(&fake);
    let token = token(TOKEN);
    let error = api_error(within(client.open_session(&token).auth_test()).await);
    assert_eq!(error.code, "missing_scope");
    within(client.open_session(&token).auth_test()).await.expect("one-shot");
}

#[tokio::test]
async fn server_error_and_latency_faults_play_out_in_order() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.inject("auth.test", Fault::ServerError(503));
    fake.inject("auth.test", Fault::Latency(Duration::from_millis(150)));
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    match within(session.auth_test()).await {
        Err(SlackClientError::HttpError(error)) => assert_eq!(error.status_code.as_u16(), 503),
        other => panic!("expected an HTTP error, got {other:?}"),
    }
    // Still unanswered a while into the 150 ms delay (a busy machine only makes it later),
    // then answered normally.
    let mut delayed = Box::pin(session.auth_test());
    assert!(tokio::time::timeout(Duration::from_millis(100), &mut delayed).await.is_err(), "answered before the delay");
    within(delayed).await.expect("answers after the delay");
}

#[tokio::test]
async fn an_unknown_method_is_unknown_method() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let answer: ClientResult<Value> =
        within(session.http_session_api.http_post("admin.users.list", &json!({}), None)).await;
    assert_eq!(api_error(answer).code, "unknown_method");
}

#[tokio::test]
async fn apps_connections_open_takes_only_the_app_token_and_gives_a_websocket_url() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client(&fake);
    for (given, expected) in [(TOKEN, "not_allowed_token_type"), ("xapp-wrong", "invalid_auth")] {
        let token = token(given);
        let session = client.open_session(&token);
        let answer: ClientResult<Value> =
            within(session.http_session_api.http_post("apps.connections.open", &json!({}), None)).await;
        assert_eq!(api_error(answer).code, expected);
    }
    let token = token(APP_TOKEN);
    let session = client.open_session(&token);
    let answer: Value =
        within(session.http_session_api.http_post("apps.connections.open", &json!({}), None)).await.unwrap();
    assert!(answer["url"].as_str().unwrap().starts_with("ws://127.0.0.1:"), "{answer}");
}

#[tokio::test]
async fn users_info_decodes_into_slack_user_and_unknown_users_are_not_found() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_user("U0ALICE", "alice");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let request = SlackApiUsersInfoRequest::new(SlackUserId("U0ALICE".into()));
    let user = within(session.users_info(&request)).await.expect("users.info").user;
    assert_eq!(user.name.as_deref(), Some("alice"));
    assert_eq!(user.deleted, Some(false));
    let request = SlackApiUsersInfoRequest::new(SlackUserId("U0NOBODY".into()));
    assert_eq!(api_error(within(session.users_info(&request)).await).code, "user_not_found");
}

#[tokio::test]
async fn topic_pins_reactions_bookmarks_and_permalinks_act_on_the_channel() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_user("U0ALICE", "alice");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let id = create_channel(&session, "inc-pins").await;
    let request = SlackApiConversationsSetTopicRequest::new(id.clone(), "SEV1 | investigating".into());
    within(session.conversations_set_topic(&request)).await.expect("topic set");
    let ts =
        within(session.chat_post_message(&SlackApiChatPostMessageRequest::new(id.clone(), text_message("summary"))))
            .await
            .expect("posted")
            .ts;

    let pin = SlackApiPinsAddRequest::new(id.clone(), ts.clone());
    within(session.pins_add(&pin)).await.expect("pinned");
    assert_eq!(api_error(within(session.pins_add(&pin)).await).code, "already_pinned");
    let reaction = SlackApiReactionsAddRequest::new(id.clone(), SlackReactionName("pushpin".into()), ts.clone());
    within(session.reactions_add(&reaction)).await.expect("reacted");
    assert_eq!(api_error(within(session.reactions_add(&reaction)).await).code, "already_reacted");
    let link = SlackApiChatGetPermalinkRequest::new(id.clone(), ts.clone());
    let link = within(session.chat_get_permalink(&link)).await.expect("permalink").permalink;
    assert!(link.as_str().ends_with(&format!("/archives/{id}/p{}", ts.value().replace('.', ""))));

    let bookmark = json!({"channel_id": id, "title": "Runbook", "type": "link", "link": "https://runbooks.example/db"});
    let answer: Value =
        within(session.http_session_api.http_post("bookmarks.add", &bookmark, None)).await.expect("bookmark");
    assert_eq!(answer["bookmark"]["title"], "Runbook");

    let ephemeral =
        SlackApiChatPostEphemeralRequest::new(id.clone(), SlackUserId("U0ALICE".into()), text_message("psst"));
    assert_eq!(api_error(within(session.chat_post_ephemeral(&ephemeral)).await).code, "user_not_in_channel");

    let channel = fake.channel(id.value()).expect("channel");
    assert_eq!(channel.topic, "SEV1 | investigating");
    assert_eq!(channel.pins, vec![ts.value().clone()]);
    assert_eq!(channel.bookmarks[0].link, "https://runbooks.example/db");
    assert_eq!(fake.messages(id.value())[0].reactions, vec!["pushpin".to_string()]);
}

#[tokio::test]
async fn views_open_once_per_trigger_and_update_by_view_id() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let modal =
        |title: &str| SlackView::Modal(SlackModalView::new(title.into(), vec![]).with_callback_id("declare".into()));
    let open = SlackApiViewsOpenRequest::new(SlackTriggerId("123.456.abc".into()), modal("Declare"));
    let view = within(session.views_open(&open)).await.expect("opened").view;
    assert_eq!(api_error(within(session.views_open(&open)).await).code, "exchanged_trigger_id");

    let update = SlackApiViewsUpdateRequest::new(modal("Declared")).with_view_id(view.state_params.id.clone());
    let updated = within(session.views_update(&update)).await.expect("updated").view;
    assert_eq!(updated.state_params.id, view.state_params.id);
    let missing = SlackApiViewsUpdateRequest::new(modal("x")).with_view_id(SlackViewId("V0NOPE".into()));
    assert_eq!(api_error(within(session.views_update(&missing)).await).code, "not_found");
}

#[tokio::test]
async fn a_file_upload_goes_through_the_upload_url_and_is_shared_in_the_channel() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let id = create_channel(&session, "inc-retro").await;
    let bytes = b"# Retrospective\n".to_vec();
    let request = SlackApiFilesGetUploadUrlExternalRequest::new("retro.md".into(), bytes.len());
    let target = within(session.get_upload_url_external(&request)).await.expect("upload url");
    let upload = SlackApiFilesUploadViaUrlRequest::new(target.upload_url, bytes.clone(), "text/markdown".into());
    within(session.files_upload_via_url(&upload)).await.expect("bytes uploaded");
    let file = SlackApiFilesComplete::new(target.file_id.clone()).with_title("Retrospective".into());
    let complete = SlackApiFilesCompleteUploadExternalRequest::new(vec![file]).with_channel_id(id.clone());
    let done = within(session.files_complete_upload_external(&complete)).await.expect("completed");
    assert_eq!(done.files[0].id, target.file_id);

    let stored = &fake.files()[0];
    assert_eq!((stored.bytes.clone(), stored.completed), (bytes, true));
    assert_eq!(fake.messages(id.value())[0].files, vec![target.file_id.0]);
}

#[tokio::test]
async fn a_channel_canvas_is_created_once_and_edited_in_place() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let id = create_channel(&session, "inc-canvas").await;
    let content = |md: &str| SlackCanvasDocumentContent::new(md.into());
    let create = SlackApiConversationsCanvasesCreateRequest::new(id.clone()).with_document_content(content("# v1"));
    let canvas = within(session.conversations_canvases_create(&create)).await.expect("canvas").canvas_id;
    let again = api_error(within(session.conversations_canvases_create(&create)).await);
    assert_eq!(again.code, "channel_canvas_already_exists");

    let change = SlackCanvasChange::new(SlackCanvasOperation::Replace).with_document_content(content("# v2"));
    let edit = SlackApiCanvasesEditRequest::new(canvas.clone(), vec![change]);
    within(session.canvases_edit(&edit)).await.expect("edited");
    let access = SlackApiCanvasesAccessSetRequest::new(canvas.clone(), SlackCanvasAccessLevel::Read)
        .with_channel_ids(vec![channel_id("C0INCIDENTS")]);
    within(session.canvases_access_set(&access)).await.expect("access set");

    let stored = &fake.canvases()[0];
    assert_eq!((stored.markdown.as_str(), stored.channel.as_deref()), ("# v2", Some(id.value().as_str())));
    assert_eq!(fake.channel(id.value()).expect("channel").canvas, Some(canvas.0));
}

#[tokio::test]
async fn response_url_posts_are_recorded_and_the_sixth_is_refused() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    let http = reqwest::Client::new();
    let url = fake.response_url("cmd-1");
    for n in 1..=6 {
        let body = json!({"response_type": "ephemeral", "text": format!("reply {n}")});
        let answer = within(http.post(&url).json(&body).send()).await.expect("posted");
        let expected = if n <= 5 { 200 } else { 404 };
        assert_eq!(answer.status().as_u16(), expected, "post {n}");
    }
    let responses = fake.responses();
    assert_eq!(responses.len(), 5);
    assert_eq!(responses[0]["text"], "reply 1");
}

#[tokio::test]
async fn form_posts_and_query_strings_are_read_like_json_bodies() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_channel("C0ROOM", "room", false);
    let http = reqwest::Client::new();
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]).to_string();
    let form = [("token", TOKEN), ("channel", "C0ROOM"), ("text", "hi"), ("blocks", &blocks)];
    let url = format!("{}chat.postMessage", fake.api_url());
    let response = within(http.post(&url).form(&form).send()).await.expect("form post");
    let answer: Value = within(response.json()).await.expect("JSON answer");
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(fake.messages("C0ROOM")[0].blocks[0]["type"], "section");
    let call = &fake.calls_to("chat.postMessage")[0];
    assert_eq!(call.token.as_deref(), Some(TOKEN));
    assert_eq!(call.params["channel"], "C0ROOM");

    let url = format!("{}conversations.info?channel=C0ROOM", fake.api_url());
    let response = within(http.get(&url).bearer_auth(TOKEN).send()).await.expect("GET");
    assert_eq!(response.headers()["content-type"], "application/json");
    let answer: Value = within(response.json()).await.expect("JSON answer");
    assert_eq!(answer["channel"]["name"], "room");
}

/// The `Retry-After` of a rate-limited call, failing the test on any other answer.
fn retry_after<T: Debug>(result: ClientResult<T>) -> Duration {
    match result {
        Err(SlackClientError::RateLimitError(error)) => {
            assert_eq!(error.code.as_deref(), Some("ratelimited"));
            error.retry_after.expect("a Retry-After header")
        }
        other => panic!("expected a rate limit error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_method_over_its_limit_is_answered_429_until_a_slot_frees_and_has_no_effect() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.limit_method("conversations.create", 2, Duration::from_secs(60));
    fake.limit_method("auth.test", 1, Duration::from_secs(1));
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    create_channel(&session, "inc-one").await;
    create_channel(&session, "inc-two").await;
    let third = SlackApiConversationsCreateRequest::new("inc-three".into());
    let wait = retry_after(within(session.conversations_create(&third)).await);
    assert!((1..=60).contains(&wait.as_secs()), "whole seconds until the first slot frees: {wait:?}");
    assert!(fake.channel_by_name("inc-three").is_none(), "a refused call has no effect");
    assert_eq!(fake.rate_limited("conversations.create"), 1);

    within(session.auth_test()).await.expect("the first call in the window");
    let wait = retry_after(within(session.auth_test()).await);
    assert_eq!(wait, Duration::from_secs(1), "at least a second, rounded up");
    tokio::time::sleep(wait).await;
    within(session.auth_test()).await.expect("a slot is free once Retry-After has passed");
    assert_eq!((fake.rate_limited("auth.test"), fake.rate_limited_total()), (1, 2));
}

#[tokio::test]
async fn every_nth_call_of_a_rate_limited_method_is_answered_429() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_channel("C0ROOM", "room", false);
    fake.rate_limit_every("conversations.history", 3, 2);
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let request = SlackApiConversationsHistoryRequest::new().with_channel(channel_id("C0ROOM"));
    let mut refused = Vec::new();
    for n in 1..=7 {
        let answer = within(session.conversations_history(&request)).await;
        if answer.is_err() {
            assert_eq!(retry_after(answer), Duration::from_secs(2));
            refused.push(n);
        }
    }
    assert_eq!(refused, [3, 6]);
    assert_eq!(fake.rate_limited("conversations.history"), 2);
}

#[tokio::test]
async fn posts_to_one_channel_are_limited_by_a_token_bucket_of_their_own() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_channel("C0BUSY", "busy", false);
    fake.add_channel("C0QUIET", "quiet", false);
    fake.limit_posts_per_channel(1.0, 2);
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let post = |channel: &str, text: &str| SlackApiChatPostMessageRequest::new(channel_id(channel), text_message(text));
    within(session.chat_post_message(&post("C0BUSY", "one"))).await.expect("within the burst");
    within(session.chat_post_message(&post("C0BUSY", "two"))).await.expect("within the burst");
    let wait = retry_after(within(session.chat_post_message(&post("C0BUSY", "three"))).await);
    assert_eq!(wait, Duration::from_secs(1), "a token a second");
    within(session.chat_post_message(&post("C0QUIET", "elsewhere"))).await.expect("another channel's bucket");
    tokio::time::sleep(wait).await;
    within(session.chat_post_message(&post("C0BUSY", "four"))).await.expect("a token is back");
    let texts: Vec<String> = fake.messages("C0BUSY").into_iter().map(|m| m.text).collect();
    assert_eq!(texts, ["one", "two", "four"], "the refused post was not posted");
    assert_eq!(fake.rate_limited("chat.postMessage"), 1);
}

#[tokio::test]
async fn a_fault_aimed_at_one_channel_hits_only_the_next_call_naming_it() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_channel("C0PAYMENTS", "team-payments", false);
    fake.add_channel("C0CHECKOUT", "team-checkout", false);
    fake.inject_in_channel("chat.postMessage", "C0PAYMENTS", Fault::RateLimited { retry_after_secs: 20 });
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let post = |channel: &str| SlackApiChatPostMessageRequest::new(channel_id(channel), text_message("notice"));
    within(session.chat_post_message(&post("C0CHECKOUT"))).await.expect("other channels are fine");
    let wait = retry_after(within(session.chat_post_message(&post("C0PAYMENTS"))).await);
    assert_eq!(wait, Duration::from_secs(20));
    assert!(fake.messages("C0PAYMENTS").is_empty());
    within(session.chat_post_message(&post("C0PAYMENTS"))).await.expect("the fault is one-shot");
    assert_eq!((fake.messages("C0PAYMENTS").len(), fake.rate_limited_total()), (1, 1));
}

#[tokio::test]
async fn users_conversations_pages_through_only_the_channels_the_bot_is_in() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_foreign_channels(30);
    fake.add_member_channels(5);
    fake.add_channel("G0SECRET", "secret", true);
    fake.archive_channel("C0BOTIN000005");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let (mut ids, mut cursor, mut pages) = (Vec::new(), None, 0);
    loop {
        let request = SlackApiUsersConversationsRequest::new()
            .with_types(vec![SlackConversationType::Public, SlackConversationType::Private])
            .with_exclude_archived(true)
            .with_limit(2)
            .opt_cursor(cursor);
        let page = within(session.users_conversations(&request)).await.expect("a page");
        pages += 1;
        ids.extend(page.channels.iter().map(|c| c.id.0.clone()));
        cursor = page.response_metadata.and_then(|m| m.next_cursor).filter(|c| !c.0.is_empty());
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(ids, ["C0BOTIN000001", "C0BOTIN000002", "C0BOTIN000003", "C0BOTIN000004", "G0SECRET"]);
    assert_eq!(pages, 3);
    let call = &fake.calls_to("users.conversations")[1];
    assert_eq!((call.params["limit"].as_str(), call.params["cursor"].as_str()), (Some("2"), Some("offset:2")));

    let everything = SlackApiConversationsListRequest::new().with_limit(1000);
    let listed = within(session.conversations_list(&everything)).await.expect("conversations.list");
    assert_eq!(listed.channels.len(), 35, "conversations.list shows the public channels the bot is not in too");
}

#[tokio::test]
async fn a_large_workspace_and_a_long_channel_are_seeded_in_one_go() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_foreign_channels(30_000);
    fake.add_channel("C0LONG", "long", false);
    let stamps = fake.add_history("C0LONG", 5_000, 200, 2);
    assert_eq!((stamps.len(), fake.messages("C0LONG").len()), (5_400, 5_400));
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "every ts is new and later");
    let client = client(&fake);
    let token = token(TOKEN);
    let session = client.open_session(&token);
    let list = SlackApiConversationsListRequest::new().with_limit(1000);
    let first = within(session.conversations_list(&list)).await.expect("conversations.list");
    assert_eq!(first.channels.len(), 1000, "a page of a 30,001-channel workspace");

    let newest = SlackApiConversationsHistoryRequest::new().with_channel(channel_id("C0LONG")).with_limit(200);
    let page = within(session.conversations_history(&newest)).await.expect("history");
    assert_eq!(page.messages.len(), 200);
    assert_eq!(page.messages[0].content.text.as_deref(), Some("history message 04999"), "top-level only, newest first");
    let parent = SlackTs(stamps[0].clone());
    let thread = SlackApiConversationsRepliesRequest::new(channel_id("C0LONG"), parent);
    let thread = within(session.conversations_replies(&thread)).await.expect("replies");
    let texts: Vec<_> = thread.messages.iter().filter_map(|m| m.content.text.clone()).collect();
    assert_eq!(texts, ["history message 00000", "reply 0 in thread 0000", "reply 1 in thread 0000"]);
}

#[tokio::test]
async fn a_token_without_the_scope_a_method_needs_gets_missing_scope_and_changes_nothing() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_channel("C0ROOM", "room", false);
    fake.add_channel("G0SECRET", "secret", true);
    fake.set_scopes(&["chat:write", "channels:manage"]);
    let session_client = client(&fake);
    let token = token(TOKEN);
    let session = session_client.open_session(&token);

    let pin = SlackApiPinsAddRequest::new(channel_id("C0ROOM"), SlackTs("1.000001".into()));
    let refused = api_error(within(session.pins_add(&pin)).await);
    assert_eq!(refused.code, "missing_scope");
    let private = SlackApiConversationsCreateRequest::new("inc-private".into()).with_is_private(true);
    assert_eq!(api_error(within(session.conversations_create(&private)).await).code, "missing_scope");
    assert!(fake.channel_by_name("inc-private").is_none(), "nothing was created");
    let public = SlackApiConversationsCreateRequest::new("inc-public".into());
    within(session.conversations_create(&public)).await.expect("channels:manage covers a public channel");

    let http = reqwest::Client::new();
    let url = format!("{}conversations.setTopic", fake.api_url());
    let form = [("token", TOKEN), ("channel", "G0SECRET"), ("topic", "x")];
    let answer: Value =
        within(within(http.post(&url).form(&form).send()).await.expect("posted").json()).await.expect("JSON answer");
    assert_eq!((answer["error"].as_str(), answer["needed"].as_str()), (Some("missing_scope"), Some("groups:write")));
    assert!(answer["provided"].as_str().is_some_and(|p| p.contains("chat:write")), "{answer}");
}

#[tokio::test]
async fn the_manifest_scopes_are_granted_by_default() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_channel("C0ROOM", "room", false);
    let session_client = client(&fake);
    let token = token(TOKEN);
    let session = session_client.open_session(&token);
    let post = SlackApiChatPostMessageRequest::new(channel_id("C0ROOM"), text_message("hi"));
    let posted = within(session.chat_post_message(&post)).await.expect("posted");
    let pin = SlackApiPinsAddRequest::new(channel_id("C0ROOM"), posted.ts);
    within(session.pins_add(&pin)).await.expect("pins:write is in manifest.yml");
}

#[tokio::test]
async fn what_people_see_replies_through_their_response_url_modals_they_opened_and_their_reactions() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_channel("C0ROOM", "room", false);
    fake.add_user("U0ALICE", "alice");
    fake.add_user("U0BOB", "bob");
    let http = reqwest::Client::new();

    // A reply through alice's response_url shows to her alone; replace_original replaces it.
    let url = fake.response_url_for("U0ALICE", "C0ROOM");
    let reply = json!({"response_type": "ephemeral", "text": "Declaring…"});
    within(http.post(&url).json(&reply).send()).await.expect("posted");
    let replaced = json!({"replace_original": true, "text": "Declared"});
    within(http.post(&url).json(&replaced).send()).await.expect("posted");
    let shown = fake.ephemerals_for("U0ALICE", "C0ROOM");
    assert_eq!(shown.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(), ["Declared"]);
    assert!(fake.ephemerals_for("U0BOB", "C0ROOM").is_empty());

    // A modal opened with bob's trigger is on bob's screen, not alice's; closing it removes it.
    let trigger = fake.trigger_for("U0BOB");
    let session_client = client(&fake);
    let token = token(TOKEN);
    let session = session_client.open_session(&token);
    let view = SlackView::Modal(SlackModalView::new("Update".into(), vec![]));
    let opened = within(session.views_open(&SlackApiViewsOpenRequest::new(SlackTriggerId(trigger), view)))
        .await
        .expect("opened");
    let id = opened.view.state_params.id.0.clone();
    assert_eq!(fake.open_view_for("U0BOB").map(|v| v["id"].clone()), Some(json!(id)));
    assert!(fake.open_view_for("U0ALICE").is_none());
    fake.close_view(&id);
    assert!(fake.open_view_for("U0BOB").is_none());

    // A person's reaction toggles; the bot's own are kept apart.
    let ts = fake.add_message("C0ROOM", "U0ALICE", "Error rate at 12%", None);
    assert_eq!(fake.toggle_reaction("C0ROOM", &ts, "U0BOB", "pushpin"), Some(true));
    assert_eq!(fake.messages("C0ROOM")[0].reacted, vec![("pushpin".to_owned(), "U0BOB".to_owned())]);
    assert_eq!(fake.toggle_reaction("C0ROOM", &ts, "U0BOB", "pushpin"), Some(false));
    assert!(fake.messages("C0ROOM")[0].reacted.is_empty() && fake.messages("C0ROOM")[0].reactions.is_empty());
    assert_eq!(fake.toggle_reaction("C0ROOM", "9.000001", "U0BOB", "eyes"), None);
}

#[tokio::test]
async fn block_kit_limits_on_elements_and_modal_titles_are_enforced_as_slack_does() {
    let fake = FakeSlack::start().await.expect("the Slack stand-in starts");
    fake.add_channel("C0ROOM", "room", false);
    let http = reqwest::Client::new();
    let post = |blocks: Value| {
        let form = [("token", TOKEN.to_owned()), ("channel", "C0ROOM".to_owned()), ("blocks", blocks.to_string())];
        http.post(format!("{}chat.postMessage", fake.api_url())).form(&form).send()
    };
    let button = |text: &str, value: &str| json!({"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": text}, "value": value});
    let refused = [
        json!([{"type": "actions", "elements": vec![button("ok", "1"); 26]}]),
        json!([{"type": "context", "elements": vec![json!({"type": "mrkdwn", "text": "x"}); 11]}]),
        json!([{"type": "actions", "elements": [button(&"b".repeat(76), "1")]}]),
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "accessory": button("ok", &"v".repeat(2001))}]),
    ];
    for blocks in refused {
        let answer: Value = within(within(post(blocks.clone())).await.expect("posted").json()).await.expect("JSON");
        assert_eq!(answer["error"], "invalid_blocks", "{blocks}: {answer}");
    }
    assert!(fake.messages("C0ROOM").is_empty(), "nothing refused was posted");
    let fine = json!([{"type": "actions", "elements": vec![button(&"b".repeat(75), &"v".repeat(2000)); 25]}]);
    let answer: Value = within(within(post(fine)).await.expect("posted").json()).await.expect("JSON");
    assert_eq!(answer["ok"], true, "{answer}");

    let trigger = fake.trigger_for("U0FIREBELL");
    let view =
        json!({"type": "modal", "title": {"type": "plain_text", "text": "A title that is far too long"}, "blocks": []});
    let form = [("token", TOKEN.to_owned()), ("trigger_id", trigger), ("view", view.to_string())];
    let answer: Value = within(
        within(http.post(format!("{}views.open", fake.api_url())).form(&form).send()).await.expect("posted").json(),
    )
    .await
    .expect("JSON");
    assert_eq!(answer["error"], "invalid_arguments", "{answer}");
}
