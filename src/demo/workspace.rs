//! The small company `firebell demo` shows: four people, the channels the demo policy names,
//! and a general channel to type in. Everyone is in every channel, as in a small workspace.

use crate::standin::SlackStandIn;

/// A sample person the visitor can act as.
#[derive(Clone, Copy, Debug)]
pub struct Person {
    pub id: &'static str,
    pub name: &'static str,
    /// What they do, shown beside the name on the page.
    pub title: &'static str,
    pub title_ko: &'static str,
}

/// The people, first the one the page starts as.
pub const PEOPLE: [Person; 4] = [
    Person { id: "U0DEMOALICE", name: "alice", title: "Payments engineer", title_ko: "결제 엔지니어" },
    // bob and carol take turns on call for payments, a week each (policy.toml's schedule).
    Person { id: "U0DEMOBOB", name: "bob", title: "SRE", title_ko: "SRE" },
    Person { id: "U0DEMOCAROL", name: "carol", title: "Checkout engineer", title_ko: "체크아웃 엔지니어" },
    Person { id: "U0DEMODANA", name: "dana", title: "Engineering manager", title_ko: "엔지니어링 매니저" },
];

/// The channels: `(id, name)`; the ids are the ones `policy.toml` names.
pub const CHANNELS: [(&str, &str); 5] = [
    ("C0DEMOGENERAL", "general"),
    ("C0DEMOINCIDENTS", "incidents"),
    ("C0DEMOTRIAGE", "alerts-triage"),
    ("C0DEMOPAYMENTS", "team-payments"),
    ("C0DEMOCHECKOUT", "team-checkout"),
];

/// The channel the page opens on.
pub const GENERAL: &str = "C0DEMOGENERAL";

/// Seeds the stand-in with the people and channels, and a first message so `#general` is
/// not empty.
pub fn seed(slack: &SlackStandIn, korean: bool) {
    for person in PEOPLE {
        slack.add_user(person.id, person.name);
    }
    for (id, name) in CHANNELS {
        slack.add_channel(id, name, false);
        for person in PEOPLE {
            slack.add_member(id, person.id);
        }
    }
    let (topic, welcome) = if korean {
        (
            "회사 전체 채널. /incident help 를 입력해 보세요",
            "환영합니다! 이 워크스페이스는 진짜 firebell을 로컬 Slack에 연결해 돌립니다. `/incident declare sev2 service:payments 결제 오류` 를 입력해 인시던트를 시작해 보세요.",
        )
    } else {
        (
            "Company-wide chatter. Try /incident help",
            "Welcome! This workspace runs the real firebell against a local Slack. Type `/incident declare sev2 service:payments Checkout errors` to start an incident.",
        )
    };
    slack.set_topic(GENERAL, topic);
    slack.add_message(GENERAL, PEOPLE[3].id, welcome, None);
}

/// The person with this id.
pub fn person(id: &str) -> Option<Person> {
    PEOPLE.into_iter().find(|p| p.id == id)
}
