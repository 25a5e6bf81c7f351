//! `wxb explain --html` in a real browser: headless Chromium (Debian's `chromium`; `.ci/run`
//! installs it) opens the page from `file://`, a neuron is clicked and opened with the keyboard,
//! the numbers shown are compared with `wxb explain --json`, the sample is switched, and there
//! must be no console error and no request beyond the file itself. Screenshots are saved under
//! `CARGO_TARGET_TMPDIR/html/`. Without a Chromium the test says so and passes.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::log::{EnableParams as LogEnable, EventEntryAdded};
use chromiumoxide::cdp::browser_protocol::network::{EnableParams as NetworkEnable, EventRequestWillBeSent};
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::cdp::js_protocol::runtime::{ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown};
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::page::{Page, ScreenshotParams};
use common::*;
use futures_util::StreamExt;
use serde_json::Value;

/// The browser: `$CHROME`, else `chromium` (Debian) or `google-chrome` on the `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROME").map(PathBuf::from).filter(|p| p.is_file()) {
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// `wxb explain --json` of one neuron: its trace (the `NeuronTrace`).
fn neuron_json(dir: &Path, row: u64, layer: u64, neuron: u64) -> Value {
    let (row, layer, neuron) = (row.to_string(), layer.to_string(), neuron.to_string());
    let args =
        ["explain", "--model", "model", "--data", "train.csv", "--row", &row, "--layer", &layer, "--neuron", &neuron];
    let v = json(&ok(dir, &[&args[..], &["--json"]].concat()).stdout);
    v["layers"][0]["step"]["neurons"][0].clone()
}

/// What the detail panel shows: its layer and neuron, each `[data-k]` number and the terms.
const READ_PANEL: &str = r#"(() => {
  const d = document.getElementById("detail");
  const calc = {};
  for (const e of d.querySelectorAll("dl [data-k]")) calc[e.dataset.k] = e.textContent;
  const terms = [...d.querySelectorAll("table.terms tbody tr[data-input]")].map((r) => ({
    input: Number(r.dataset.input),
    x: r.querySelector("[data-k=x]").textContent,
    w: r.querySelector("[data-k=w]").textContent,
    product: r.querySelector("[data-k=product]").textContent }));
  const others = d.querySelector("[data-k=others_sum]");
  return { layer: Number(d.dataset.layer), index: Number(d.dataset.index), title: d.querySelector("h2").textContent,
           calc, terms, others: others && others.textContent,
           sample: document.getElementById("sample").value, verdict: document.getElementById("verdict").textContent };
})()"#;

fn shown(v: &Value) -> f64 {
    let s = v.as_str().unwrap_or_else(|| panic!("a shown number: {v}"));
    s.parse().unwrap_or_else(|_| panic!("{s:?} is not a number"))
}

/// The panel's numbers are those of the JSON, to the 6 significant digits shown.
fn assert_panel_matches(panel: &Value, n: &Value) {
    let near = |shown_v: &Value, json_v: &Value, what: &str| {
        let (a, b) = (shown(shown_v), json_v.as_f64().unwrap_or_else(|| panic!("{what}: {json_v}")));
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1e-30), "{what}: shown {a}, JSON {b}");
    };
    let calc = &panel["calc"];
    for k in ["dot", "bias", "z", "output"] {
        near(&calc[k], &n[k], k);
    }
    near(&calc["x_norm"], &n["similarity"]["x_norm"], "|x|");
    near(&calc["w_norm"], &n["similarity"]["w_norm"], "|w|");
    near(&calc["cosine"], &n["similarity"]["cosine"], "cos");
    let terms = panel["terms"].as_array().unwrap();
    let json_terms = n["terms"].as_array().unwrap();
    assert_eq!(terms.len(), json_terms.len(), "the terms listed");
    for (t, j) in terms.iter().zip(json_terms) {
        assert_eq!(t["input"], j["input"], "the terms in the JSON's order (by size)");
        for k in ["x", "w", "product"] {
            near(&t[k], &j[k], k);
        }
    }
    match &n["others"] {
        Value::Null => assert!(panel["others"].is_null()),
        o => near(&panel["others"], &o["sum"], "the rest summed"),
    }
}

async fn eval(page: &Page, js: &str) -> Value {
    page.evaluate(js).await.unwrap_or_else(|e| panic!("{js}: {e}")).into_value().expect("a JSON value")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_in_chromium_shows_the_jsons_numbers() {
    let Some(chrome) = chromium() else {
        eprintln!(
            "SKIPPED html_browser: no Chromium found (set CHROME or install Debian's chromium: \
             apt-get install -y chromium; .ci/run does)"
        );
        return;
    };
    let d = tempdir();
    let p = d.path();
    traced_model(p);
    ok(p, &["explain", "--model", "model", "--data", "train.csv", "--html", "page.html", "--rows", "0-5"]);
    let data = page_data(&std::fs::read_to_string(p.join("page.html")).unwrap());
    let url = format!("file://{}", p.join("page.html").display());

    let profile = p.join("chromium-profile");
    let config = BrowserConfig::builder()
        .chrome_executable(&chrome)
        .no_sandbox()
        .user_data_dir(&profile)
        .viewport(Viewport { width: 1280, height: 900, ..Viewport::default() })
        .window_size(1280, 900)
        .launch_timeout(Duration::from_secs(60))
        .build()
        .expect("a browser configuration");
    let (mut browser, mut handler) = Browser::launch(config).await.expect("Chromium starts");
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
    let page = browser.new_page("about:blank").await.unwrap();
    page.execute(LogEnable::default()).await.unwrap();
    page.execute(NetworkEnable::default()).await.unwrap();

    let problems = Arc::new(Mutex::new(Vec::<String>::new()));
    let requests = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut console = page.event_listener::<EventConsoleApiCalled>().await.unwrap();
    let mut thrown = page.event_listener::<EventExceptionThrown>().await.unwrap();
    let mut logs = page.event_listener::<EventEntryAdded>().await.unwrap();
    let mut sent = page.event_listener::<EventRequestWillBeSent>().await.unwrap();
    let (p1, p2, p3, r1) = (problems.clone(), problems.clone(), problems.clone(), requests.clone());
    tokio::spawn(async move {
        while let Some(e) = console.next().await {
            if matches!(e.r#type, ConsoleApiCalledType::Error | ConsoleApiCalledType::Warning) {
                p1.lock().unwrap().push(format!("console: {:?}", e.args));
            }
        }
    });
    tokio::spawn(async move {
        while let Some(e) = thrown.next().await {
            p2.lock().unwrap().push(format!("exception: {:?}", e.exception_details));
        }
    });
    tokio::spawn(async move {
        while let Some(e) = logs.next().await {
            p3.lock().unwrap().push(format!("log: {:?} {}", e.entry.level, e.entry.text));
        }
    });
    tokio::spawn(async move {
        while let Some(e) = sent.next().await {
            r1.lock().unwrap().push(e.request.url.clone());
        }
    });

    page.goto(url.as_str()).await.expect("the page opens");

    // The first sample: click a neuron of the first hidden layer.
    let first_layer = data["samples"][0]["explanation"]["layers"][0]["step"]["neurons"][1]["neuron"].as_u64().unwrap();
    let node = format!("#net .node[data-layer='0'][data-index='{first_layer}']");
    // Click the neuron's circle (the centre of the node's box may fall between the circle and its
    // labels, on no element of the node).
    let circle = format!("{node} circle");
    page.find_element(circle.as_str()).await.expect("the neuron is drawn").click().await.unwrap();
    let panel = eval(&page, READ_PANEL).await;
    assert_eq!((panel["layer"].as_u64(), panel["index"].as_u64()), (Some(0), Some(first_layer)), "{panel}");
    assert_panel_matches(&panel, &neuron_json(p, 0, 0, first_layer));
    let row0 = data["samples"][0]["label"].as_str().unwrap();
    assert!(panel["verdict"].as_str().unwrap().contains(&format!("true label {row0}")), "{panel}");

    // Hover an edge: its weight.
    page.find_element("#net path.edge").await.unwrap().hover().await.unwrap();
    let info = eval(&page, r#"document.getElementById("edge-info").textContent"#).await;
    assert!(info.as_str().unwrap().starts_with("Weight w = "), "{info}");

    // Another sample, then an output neuron opened with the keyboard.
    page.find_element("#next").await.unwrap().click().await.unwrap();
    let out_layer = data["layers"].as_array().unwrap().len() as u64 - 1;
    let node = format!("#net .node[data-layer='{out_layer}'][data-index='2']");
    page.find_element(node.as_str()).await.unwrap().focus().await.unwrap().press_key("Enter").await.unwrap();
    let panel = eval(&page, READ_PANEL).await;
    assert_eq!(panel["sample"], "1", "{panel}");
    assert_eq!((panel["layer"].as_u64(), panel["index"].as_u64()), (Some(out_layer), Some(2)), "{panel}");
    assert_panel_matches(&panel, &neuron_json(p, 1, out_layer, 2));
    let shot_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&shot_dir).unwrap();
    let shot = || ScreenshotParams::builder().format(CaptureScreenshotFormat::Png).full_page(true).build();
    page.save_screenshot(shot(), shot_dir.join("page.png")).await.unwrap();

    // A narrow window: the page reflows into one column, nothing wider than the window.
    page.execute(SetDeviceMetricsOverrideParams::new(420, 900, 1.0, false)).await.unwrap();
    let width = eval(&page, "document.documentElement.scrollWidth").await;
    assert!(width.as_u64().unwrap() <= 420, "the page is {width} px wide in a 420 px window");
    page.save_screenshot(shot(), shot_dir.join("narrow.png")).await.unwrap();

    tokio::time::sleep(Duration::from_millis(200)).await;
    let problems = problems.lock().unwrap().clone();
    assert!(problems.is_empty(), "the page reported: {problems:#?}");
    let requests = requests.lock().unwrap().clone();
    assert!(requests.iter().all(|u| u.starts_with("file://") || u.starts_with("about:")), "requests: {requests:?}");
    assert!(requests.iter().any(|u| u == &url), "the page itself was seen loading: {requests:?}");
    browser.close().await.unwrap();
    let _ = browser.wait().await;
    events.abort();
    eprintln!("screenshots: {}", shot_dir.display());
}
