"""The dashboard in real headless Chromium (Debian's), driven by Playwright.

A scripted office day is replayed over a real Mosquitto through the real service; the page
must then show that day's totals in its cards and charts, receive a live posture change,
fetch nothing from another site, and work on a phone-sized screen. Screenshots land in
``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from service.app import Runtime, create_app
from service.config import ServiceSettings
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.mqtt_config import MqttSettings
from sitless.wire import Ack, Bout, Kind, PostureEvent, encode, topic
from sitless.wire.posture import Posture
from tests import days
from tests.people import ANN, People, seed
from tests.servers import Mosquitto
from tests.webserver import serving

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("SITLESS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WEARER = "ann"
DAY = days.MONDAY.isoformat()


def fmt_min(minutes: float) -> str:
    """The dashboard's way of writing minutes."""
    m = round(minutes)
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


@dataclass
class Site:
    runtime: Runtime
    base: str
    collector: MqttClient
    events: list[PostureEvent]


async def _replay(runtime: Runtime, collector: MqttClient, events: list[PostureEvent]) -> None:
    """Publish the day; once the 62-minute sit has prompted, answer that prompt "done"."""
    assert runtime.ingest is not None
    answered = False
    for event in events:
        await collector.publish(topic(WEARER, Kind.POSTURE), encode(event))
        local = event.end.astimezone(days.OSLO)
        if not answered and (local.hour, local.minute) >= (11, 5):
            await runtime.ingest.caught_up(WEARER, "thigh", event.seq)
            open_now = runtime.store.open_prompts(WEARER, event.end)
            assert open_now, "sitting 45 minutes in work hours made no prompt"
            ack = Ack(
                wearer=WEARER,
                device="phone",
                seq=0,
                prompt_id=open_now[0].id,
                action="done",
                at=event.end,
            )
            await collector.publish(topic(WEARER, Kind.ACK), encode(ack))
            answered = True
    await runtime.ingest.caught_up(WEARER, "thigh", events[-1].seq)
    await runtime.ingest.flush()


@pytest.fixture
async def site(own_mosquitto: Mosquitto, tmp_path: Path) -> AsyncIterator[Site]:
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path / 'web.db'}",
        client_id=f"web-{tmp_path.name}",
        timezone="Europe/Oslo",
    )
    app = create_app(settings, MqttSettings(url=f"mqtt://127.0.0.1:{own_mosquitto.port}"))
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        assert runtime.mqtt is not None
        await runtime.mqtt.wait_connected(10)
        collector = MqttClient(BrokerUrl("127.0.0.1", own_mosquitto.port))
        async with collector:
            await collector.wait_connected(10)
            events = days.events(WEARER)
            await _replay(runtime, collector, events)
            async with serving(app) as base:
                yield Site(runtime, base, collector, events)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium (scripts/test.sh does)"
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


class Watch:
    """Every request the page makes, and every error it reports."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def check(self, base: str) -> None:
        assert not self.errors, self.errors
        foreign = [u for u in self.requests if not u.startswith((base, "data:"))]
        assert not foreign, f"fetched from elsewhere: {foreign}"


CHARTS = """() => {
  const tl = Chart.getChart("timeline");
  const bands = {};
  for (const ds of tl.data.datasets) {
    if (ds.prompts || ds.label === "long sits") continue;
    bands[ds.label] = ds.data.reduce((s, d) => s + d.x[1] - d.x[0], 0);
  }
  const sits = tl.data.datasets.find((d) => d.label === "long sits");
  const long = sits.data.map((d) => d.x[1] - d.x[0]);
  const marks = tl.data.datasets.find((d) => d.prompts);
  const trend = Chart.getChart("trend-sitting");
  return {
    bands, long, marks: marks.data.length,
    hours: Chart.getChart("hours").data.datasets[0].data,
    trend: trend.data.datasets[0].data, trendDays: trend.data.labels.length,
    longest: Chart.getChart("trend-longest").data.datasets[0].data,
  };
}"""


async def _day(base: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as http:
        response = await http.get(f"/api/v1/wearers/{WEARER}/days/{DAY}")
        return dict(response.json())


async def test_the_page_shows_the_replayed_day_and_a_live_change(
    site: Site, browser: Browser
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    api = await _day(site.base)
    assert api["sitting_min"] == days.minutes(Posture.SITTING)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page)
    await page.goto(f"{site.base}/?wearer={WEARER}&day={DAY}")
    await page.wait_for_selector("body[data-loaded]")

    # The cards say what the API says, which is what the script did.
    assert await page.inner_text("#sitting") == fmt_min(days.minutes(Posture.SITTING))
    assert await page.inner_text("#longest") == fmt_min(max(days.long_sits()))
    assert await page.inner_text("#long-sits") == str(len(days.long_sits()))
    assert await page.inner_text("#breaks") == str(days.breaks()) == str(api["breaks"])
    answered = sum(p["answered"] for p in api["prompts"])
    assert await page.inner_text("#answered") == f"{answered}/{len(api['prompts'])}"

    # The charts add up: bands per posture, long sits, sitting per hour, the week.
    charts = await page.evaluate(CHARTS)
    for posture in (
        Posture.SITTING,
        Posture.STANDING,
        Posture.WALKING,
        Posture.LYING,
        Posture.CYCLING,
    ):
        assert charts["bands"][posture.value] == days.minutes(posture), posture
    assert charts["long"] == days.long_sits()
    assert sum(charts["hours"]) == pytest.approx(days.minutes(Posture.SITTING), abs=0.5)
    assert charts["trendDays"] == 7
    assert charts["trend"][-1] == pytest.approx(days.minutes(Posture.SITTING) / 60, abs=0.01)
    assert charts["longest"][-1] == max(days.long_sits())

    # Each prompt is marked with its outcome, one of them answered "done" on the device.
    assert charts["marks"] == len(api["prompts"]) >= 3
    outcomes = await page.eval_on_selector_all(
        "#prompts li", "els => els.map(e => e.dataset.outcome)"
    )
    assert outcomes == [p["outcome"] or "open" for p in api["prompts"]]
    assert "done" in outcomes and "movement" in outcomes
    # The "done" answer counts as a routine done, as the program counts it.
    assert await page.inner_text("#routines") == "1 routine done"
    await page.screenshot(path=ARTIFACTS / "dashboard-desktop.png", full_page=True)

    # A live posture change arrives over the stream and the day view follows it.
    await page.wait_for_selector("#live.on")
    last = site.events[-1]
    stand = PostureEvent(
        wearer=WEARER,
        device="thigh",
        seq=last.seq + 1,
        start=last.end,
        postures=(Posture.STANDING,) * 60,
        since=last.end,
        prior=Bout(posture=last.posture, start=last.since),
    )
    await site.collector.publish(topic(WEARER, Kind.POSTURE), encode(stand))
    await page.wait_for_function(
        "document.getElementById('now').dataset.source === 'live'"
        " && document.getElementById('now-text').textContent.startsWith('Standing')"
    )
    assert await page.inner_text("#now-text") == "Standing for 1 min"
    await page.wait_for_function(
        f"document.getElementById('breaks').textContent === '{days.breaks() + 1}'"
    )
    await page.screenshot(path=ARTIFACTS / "dashboard-live.png")
    watch.check(site.base)


async def test_the_page_fits_a_phone_and_links_the_weekly_report(
    site: Site, browser: Browser
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = await browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = await context.new_page()
    watch = Watch(page)
    await page.goto(f"{site.base}/?wearer={WEARER}&day={DAY}")
    await page.wait_for_selector("body[data-loaded]")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    for chart in ("timeline", "hours", "trend-sitting"):
        box = await page.locator(f"#{chart}").bounding_box()
        assert box is not None and box["width"] <= 390 and box["height"] >= 150, chart
    assert await page.inner_text("#sitting") == fmt_min(days.minutes(Posture.SITTING))
    await page.screenshot(path=ARTIFACTS / "dashboard-phone.png", full_page=True)
    await page.screenshot(path=ARTIFACTS / "dashboard-phone-first-screen.png")

    await page.click("button[data-days='30']")
    await page.wait_for_function("Chart.getChart('trend-sitting').data.labels.length === 30")

    href = await page.get_attribute("#report", "href")
    assert href == f"/api/v1/wearers/{WEARER}/reports/week?day={DAY}"
    report = await context.new_page()
    await report.set_viewport_size({"width": 820, "height": 1160})
    await report.goto(f"{site.base}{href}")
    sitting = days.minutes(Posture.SITTING)
    assert await report.inner_text("#avg-sitting") == f"{sitting // 60} h {sitting % 60:02d} min"
    await report.emulate_media(media="print")
    await report.screenshot(path=ARTIFACTS / "weekly-report.png", full_page=True)
    await context.close()
    watch.check(site.base)


async def test_with_users_the_page_asks_for_a_token_and_shows_only_that_users_wearers(
    site: Site, browser: Browser
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    people: People = seed(site.runtime.store)  # users, and wearers ann-thigh and bob-thigh
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    watch = Watch(page)
    await page.goto(site.base)
    await page.wait_for_selector("#signin:not([hidden])")
    await page.screenshot(path=ARTIFACTS / "dashboard-signin.png")
    await page.fill("#token", "sl_not_a_real_token")
    await page.click("#signin-form button")
    await page.wait_for_selector("#signin-error:has-text('unknown')")
    await page.fill("#token", people.tokens["ann"])
    await page.click("#signin-form button")
    await page.wait_for_selector("body[data-loaded]")
    options = await page.eval_on_selector_all("#wearer option", "els => els.map(e => e.value)")
    assert options == [ANN]
    await page.wait_for_selector("#live.on")  # the cookie reaches the live stream too
    assert await page.inner_text("#user") == "ann"
    await page.goto(f"{site.base}/?wearer=bob-thigh&day={DAY}")
    await page.wait_for_selector("body[data-loaded]")
    assert await page.eval_on_selector("#wearer", "e => e.value") == ANN
    # The page's errors are the ones the wrong token caused, on purpose; nothing else.
    watch.errors = [e for e in watch.errors if "401" not in e]
    watch.check(site.base)
    await page.click("#signout")
    await page.wait_for_selector("#signin:not([hidden])")
    sessions = [u for u in watch.requests if u.endswith("/api/v1/session")]
    assert len(sessions) == 3  # two sign-ins and the sign-out
