//! Retrospective builder tests (the builder with rendering is tested in `render/retro_tests.rs`).

use super::special_mentions_as_words;

#[test]
fn special_mentions_become_the_words_slack_shows_without_the_ping() {
    assert_eq!(
        special_mentions_as_words(
            "<!channel> <!here|here> <!everyone> <!subteam^S1|@pagers> <!subteam^S2> <!date^1|Nov 26>"
        ),
        "@channel @here @everyone @pagers @group Nov 26"
    );
    assert_eq!(special_mentions_as_words("a <! b <!here"), "a <! b <!here");
    assert_eq!(special_mentions_as_words("평소처럼 <!here> 확인"), "평소처럼 @here 확인");
}
