//! A real browser for the dashboard's tests: headless Chromium driven by ChromeDriver over the
//! W3C WebDriver protocol (a few JSON calls over HTTP, with the test's own reqwest client).
//! Chromium and ChromeDriver are Debian's (`chromium`, `chromium-driver`), which `.ci/run`
//! installs; a machine without them skips the browser tests with a printed reason
//! (`FIREBELL_TEST_CHROMEDRIVER` / `FIREBELL_TEST_CHROMIUM` name other paths).

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

/// Every WebDriver call answers within this (a page load included).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A running ChromeDriver with one headless Chromium session.
pub struct Browser {
    driver: tokio::process::Child,
    client: reqwest::Client,
    session: String,
    base: String,
    _profile: tempfile::TempDir,
}

fn path_of(variable: &str, default: &str) -> Option<String> {
    let path = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    std::path::Path::new(&path).exists().then_some(path)
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium; `None` (with the reason printed) when they
    /// are not installed here.
    pub async fn start() -> Option<Browser> {
        let (Some(driver), Some(chromium)) = (
            path_of("FIREBELL_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"),
            path_of("FIREBELL_TEST_CHROMIUM", "/usr/bin/chromium"),
        ) else {
            println!("skipped: no chromedriver/chromium (apt-get install chromium chromium-driver; .ci/run does)");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let driver = tokio::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let client = reqwest::Client::builder().timeout(CALL_TIMEOUT).build().expect("HTTP client");
        let base = format!("http://127.0.0.1:{port}");
        super::wait::until("chromedriver to answer", || {
            let (client, base) = (client.clone(), base.clone());
            async move { client.get(format!("{base}/status")).send().await.is_ok() }
        })
        .await;
        let profile = tempfile::tempdir().expect("a profile directory");
        // The flags the machine's closed network needs (no background connections), as root.
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args}
        }}});
        let answer: Value = client
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("a session")
            .json()
            .await
            .expect("a JSON answer");
        let session =
            answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_owned();
        Some(Browser { driver, client, session, base, _profile: profile })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        match self.try_call(method, path, body).await {
            Ok(value) => value,
            Err(answer) => panic!("WebDriver {path}: {answer}"),
        }
    }

    /// A WebDriver call; `Err` with the whole answer when it reports an error.
    async fn try_call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.client.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.expect("chromedriver answers").json().await.expect("JSON");
        if answer["value"]["error"].is_null() { Ok(answer["value"].clone()) } else { Err(answer) }
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    /// The page's URL now.
    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_owned()
    }

    /// The text a person sees on the page (the body's rendered text).
    pub async fn text(&self) -> String {
        let body =
            self.call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": "body"}))).await;
        let id = body.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).expect("the body").to_owned();
        self.call(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A computed style of the first element matching `css` (to see the stylesheet applied).
    pub async fn style(&self, css: &str, property: &str) -> String {
        let id = self.element(css).await;
        let path = format!("/element/{id}/css/{property}");
        self.call(reqwest::Method::GET, &path, None).await.as_str().unwrap_or_default().to_owned()
    }

    /// The WebDriver id of the first element matching `css`.
    async fn element(&self, css: &str) -> String {
        let found =
            self.call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        found.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).expect("an element").to_owned()
    }

    /// Types `text` into the first element matching `css`, as a person would.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.on_element(css, "value", json!({"text": text})).await;
    }

    /// Clicks the first element matching `css` (and waits for a page it opens to load). A page
    /// that redraws itself (the demo polls) may replace the element between finding and
    /// clicking it: then it is found again.
    pub async fn click(&self, css: &str) {
        self.on_element(css, "click", json!({})).await;
    }

    /// Does `action` (`click`, `value`) on the first element matching `css`, finding it again
    /// when the page replaced it in between (a few times).
    async fn on_element(&self, css: &str, action: &str, body: Value) {
        for _ in 0..5 {
            let id = self.element(css).await;
            let path = format!("/element/{id}/{action}");
            match self.try_call(reqwest::Method::POST, &path, Some(body.clone())).await {
                Ok(_) => return,
                Err(answer) if answer["value"]["error"] == "stale element reference" => continue,
                Err(answer) => panic!("WebDriver {action} on {css}: {answer}"),
            }
        }
        panic!("{css} was redrawn under every {action}");
    }

    /// Runs `script` in the page and answers what it returns.
    pub async fn execute(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }

    /// Saves a screenshot of the window as PNG at `path`.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let encoded = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64_decode(encoded.as_str().expect("base64"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the screenshot directory");
        }
        std::fs::write(path, png).expect("the screenshot is written");
    }

    /// Ends the session and ChromeDriver.
    pub async fn quit(mut self) {
        let _ = self.client.delete(format!("{}/session/{}", self.base, self.session)).send().await;
        let _ = self.driver.kill().await;
    }
}

/// Standard base64 (what WebDriver's screenshot answers), decoded.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    sextets
        .chunks(4)
        .flat_map(|chunk| {
            let n = chunk.iter().fold(0u32, |n, s| (n << 6) | u32::from(*s)) << (6 * (4 - chunk.len()));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(chunk.len().saturating_sub(1))
        })
        .collect()
}
