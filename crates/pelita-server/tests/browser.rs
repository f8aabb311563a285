//! The web interface in a real browser: headless Chromium driven through
//! chromedriver (WebDriver on loopback) with `fantoccini`. Two people of
//! two organisations sign in and look, page by page, at what each may and
//! may not see; one submits a file with a bad record and reads its located
//! error; both search a defanged value. Screenshots of the main pages go to
//! `target/web-screenshots/`.
//!
//! Runs only with `PELITA_BROWSER=1` (it needs `/usr/bin/chromium` and
//! `/usr/bin/chromedriver`: Debian's `chromium` and `chromium-driver`);
//! otherwise it prints a skip notice. With `PELITA_REQUIRE_TOOLS=1` as well,
//! missing tools fail the test instead of skipping it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{GREEN_OF_B, PASSWORD, RED_OF_A, UNKNOWN, WEB_COUNTRY, WEB_OPERATION, web_fixture};
use fantoccini::{Client, ClientBuilder, Locator};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Whether to run, or why not (a skip, or a failure when tools are required).
fn wanted() -> bool {
    if std::env::var("PELITA_BROWSER").as_deref() != Ok("1") {
        println!("SKIPPED: the browser test runs with PELITA_BROWSER=1");
        return false;
    }
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!(
        "{} missing (apt-get install -y chromium chromium-driver)",
        missing.join(", ")
    );
    assert!(
        std::env::var("PELITA_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "PELITA_REQUIRE_TOOLS=1: {why}"
    );
    println!("SKIPPED: {why}");
    false
}

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: std::process::Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut driver = Driver {
        child: std::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
        port,
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return driver;
        }
        if let Ok(Some(status)) = driver.child.try_wait() {
            panic!("chromedriver exited: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("chromedriver did not listen on {port}");
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap()
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("web-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

/// The text of `<main>`.
async fn main_text(c: &Client) -> String {
    c.find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn banner(c: &Client) -> (String, String) {
    let org = c
        .find(Locator::Css("[data-org]"))
        .await
        .unwrap()
        .attr("data-org")
        .await
        .unwrap()
        .unwrap();
    let marking = c
        .find(Locator::Css("[data-marking]"))
        .await
        .unwrap()
        .attr("data-marking")
        .await
        .unwrap()
        .unwrap();
    (org, marking)
}

async fn sign_in(c: &Client, base: &str, name: &str) {
    c.goto(&format!("{base}/ui/login")).await.unwrap();
    c.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys(name)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("main button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("form.logout"))
        .await
        .unwrap();
}

async fn sign_out(c: &Client) {
    c.find(Locator::Css("form.logout button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("password")).await.unwrap();
}

/// Searches `q` through the form (htmx swaps the results in place).
async fn search(c: &Client, base: &str, q: &str) -> String {
    c.goto(&format!("{base}/ui/search")).await.unwrap();
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys(q)
        .await
        .unwrap();
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#results table"))
        .await
        .unwrap();
    c.find(Locator::Id("results"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn run(addr: SocketAddr, driver: &Driver, work: &Path) {
    let base = format!("http://{addr}");
    let c = browser(driver, &work.join("profile")).await;

    // cert-a: its RED value on the dashboard, in search and on the indicator page.
    sign_in(&c, &base, "ana").await;
    assert_eq!(banner(&c).await, ("cert-a".into(), "TLP:RED".into()));
    let dash = main_text(&c).await;
    assert!(
        dash.contains("a-red.txt") && !dash.contains("b-green.txt"),
        "{dash}"
    );
    // The operation's action status arrives after the page (htmx).
    c.wait()
        .for_element(Locator::Css("span.actions[data-actions]"))
        .await
        .unwrap();
    shot(&c, "dashboard-cert-a").await;

    let results = search(
        &c,
        &base,
        "C2 at 198[.]51[.]100[.]7, also 203[.]0[.]113[.]9",
    )
    .await;
    assert!(results.contains("2 of 2 values known"), "{results}");
    assert_eq!(banner(&c).await.0, "cert-a");
    shot(&c, "search-cert-a").await;
    c.find(Locator::Css(&format!("a[href='/ui/indicator/{RED_OF_A}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("dl.facts"))
        .await
        .unwrap();
    let page = main_text(&c).await;
    assert!(
        page.contains("cert-a") && page.contains("TLP:RED"),
        "{page}"
    );
    assert_eq!(banner(&c).await.1, "TLP:RED");
    shot(&c, "indicator-cert-a").await;

    // A file with a bad record: the located error is shown.
    let file = work.join("partner-list.txt");
    std::fs::write(&file, "198.51.100.50\n198.51.100.51\n300.1.2.3\n").unwrap();
    c.goto(&format!("{base}/ui/submit")).await.unwrap();
    c.find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    c.find(Locator::Css("#format option[value=list]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#tlp option[value=amber]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("table.errors"))
        .await
        .unwrap();
    let report = main_text(&c).await;
    assert!(report.contains("partner-list.txt"), "{report}");
    assert!(report.contains("line 3"), "{report}");
    assert_eq!(banner(&c).await.1, "TLP:AMBER");
    shot(&c, "submit-report-cert-a").await;

    // The dashboard's map links the country page: the report in the page.
    c.goto(&format!("{base}/ui/")).await.unwrap();
    c.find(Locator::Css("[data-chart=map] svg")).await.unwrap();
    shot(&c, "dashboard-map-cert-a").await;
    c.find(Locator::Css(&format!(
        "a[href='/ui/country/{WEB_COUNTRY}']"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::Css("article.report"))
        .await
        .unwrap();
    let report = main_text(&c).await;
    assert!(report.contains("Cyber Activity Report"), "{report}");
    assert!(report.contains("198[.]51[.]100[.]7"), "{report}");
    assert_eq!(banner(&c).await.1, "TLP:RED");
    c.find(Locator::Css("a[data-format=csv]")).await.unwrap();
    shot(&c, "country-cert-a").await;
    c.goto(&format!("{base}/ui/operation/{WEB_OPERATION}"))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("article.report"))
        .await
        .unwrap();
    shot(&c, "operation-cert-a").await;
    c.goto(&format!("{base}/ui/admin")).await.unwrap();
    assert!(main_text(&c).await.contains("403"), "not an administrator");

    // At phone width the page still works.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/ui/")).await.unwrap();
    shot(&c, "dashboard-cert-a-phone").await;
    c.goto(&format!("{base}/ui/country/{WEB_COUNTRY}"))
        .await
        .unwrap();
    shot(&c, "country-cert-a-phone").await;
    c.set_window_size(1280, 900).await.unwrap();
    sign_out(&c).await;

    // An administrator: organisations and tokens, then the audit log.
    sign_in(&c, &base, "ada").await;
    c.find(Locator::Css("a[href='/ui/admin']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("table[data-table=tokens]"))
        .await
        .unwrap();
    let admin = main_text(&c).await;
    assert!(
        admin.contains("cert-a") && admin.contains("firm-b"),
        "{admin}"
    );
    shot(&c, "admin").await;
    c.find(Locator::Id("org-name"))
        .await
        .unwrap()
        .send_keys("cert-c")
        .await
        .unwrap();
    c.find(Locator::Css("form[action='/ui/admin/organisation'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("tr[data-org-row=cert-c]"))
        .await
        .unwrap();
    c.find(Locator::Css("a[href='/ui/audit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("[data-chain=intact]"))
        .await
        .unwrap();
    shot(&c, "audit").await;
    sign_out(&c).await;
    c.goto(&format!("{base}/ui/")).await.unwrap();
    c.wait().for_element(Locator::Id("password")).await.unwrap();
    shot(&c, "login").await;

    // firm-b: the RED value of cert-a is exactly like a value nobody submitted.
    sign_in(&c, &base, "bob").await;
    assert_eq!(banner(&c).await, ("firm-b".into(), "TLP:GREEN".into()));
    let dash = main_text(&c).await;
    assert!(
        dash.contains("b-green.txt") && !dash.contains("a-red.txt"),
        "{dash}"
    );
    assert!(!dash.contains("partner-list.txt"), "{dash}");
    shot(&c, "dashboard-firm-b").await;
    let results = search(&c, &base, "198[.]51[.]100[.]7 203.0.113[.]9").await;
    assert!(results.contains("1 of 2 values known"), "{results}");
    assert!(!results.contains("TLP:RED"), "{results}");
    shot(&c, "search-firm-b").await;
    c.goto(&format!("{base}/ui/indicator/{RED_OF_A}"))
        .await
        .unwrap();
    let hidden = main_text(&c).await;
    c.goto(&format!("{base}/ui/indicator/{UNKNOWN}"))
        .await
        .unwrap();
    let unknown = main_text(&c).await;
    assert_eq!(hidden.replace(RED_OF_A, "V"), unknown.replace(UNKNOWN, "V"));
    assert!(hidden.contains("Nothing known"), "{hidden}");
    shot(&c, "indicator-hidden-firm-b").await;
    c.goto(&format!("{base}/ui/indicator/{GREEN_OF_B}"))
        .await
        .unwrap();
    assert!(main_text(&c).await.contains("firm-b"));
    c.goto(&format!("{base}/ui/indicator/198.51.100.50"))
        .await
        .unwrap();
    assert!(
        main_text(&c).await.contains("Nothing known"),
        "cert-a's AMBER submission"
    );
    c.close().await.unwrap();
}

#[test]
fn two_organisations_in_a_real_browser() {
    if !wanted() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (addr, _state) = web_fixture(dir.path());
    let driver = start_driver();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(addr, &driver, dir.path()));
    println!("screenshots in {}", screenshots().display());
}
