"""The quadrant chart draws with WebGL where the browser has it, else without.

Each test launches its own Chromium, one with WebGL switched off and one
as it comes, and opens a portfolio past SVG_POINTS_MAX accounts, which the
worker stores as WebGL markers.
"""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from pytest_django.live_server_helper import LiveServer

from accounts.models import Account, RevenueLine, User
from scoring import charts
from scoring.services import score_run_request
from tests.accounts.factories import ProductFactory
from tests.conftest import CHROMIUM, browser_login

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNTS = charts.SVG_POINTS_MAX + 100
PLOTLY_NOTICE = "WebGL is not supported"
WEBGL_PROBE = """() => {
  const canvas = document.createElement("canvas");
  return Boolean(canvas.getContext("webgl"));
}"""
# Count the pixels plotly.js drew into its WebGL canvas. Its contexts keep
# their drawing buffer, so the pixels are still there to read; asking for
# the context a canvas already has returns that context, not a new one.
WEBGL_PIXELS_DRAWN = """() => {
  const canvas = document.querySelector("#quadrant canvas.gl-canvas-context");
  const gl = canvas && canvas.getContext("webgl");
  if (!gl) {
    return -1;
  }
  const width = gl.drawingBufferWidth;
  const height = gl.drawingBufferHeight;
  const pixels = new Uint8Array(width * height * 4);
  gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
  let drawn = 0;
  for (let alpha = 3; alpha < pixels.length; alpha += 4) {
    drawn += pixels[alpha] > 0 ? 1 : 0;
  }
  return drawn;
}"""


def chromium_launch(browser: Browser, *, webgl: bool) -> Iterator[Browser]:
    """Launch another Chromium beside the suite's, in its Playwright."""
    arguments = ["--no-sandbox", "--disable-background-networking"]
    if not webgl:
        arguments += ["--disable-webgl", "--disable-3d-apis"]
    launched = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=arguments
    )
    yield launched
    launched.close()


@pytest.fixture
def browser_without_webgl(browser: Browser) -> Iterator[Browser]:
    yield from chromium_launch(browser, webgl=False)


@pytest.fixture
def browser_with_webgl(browser: Browser) -> Iterator[Browser]:
    yield from chromium_launch(browser, webgl=True)


def portfolio_scored(*, size: int) -> None:
    """Create `size` accounts with spread-out revenue, then score them."""
    products = [ProductFactory.create(name="GTX Basic"), ProductFactory.create()]
    accounts = Account.objects.bulk_create(
        Account(
            name=f"Account {index:05d}",
            sector="retail" if index % 2 else "medical",
            annual_revenue=Decimal(100 + index % 997) * 1_000_000,
            annual_revenue_currency="USD",
            employees=10 * (index % 503 + 1),
        )
        for index in range(size)
    )
    RevenueLine.objects.bulk_create(
        RevenueLine(
            account=account,
            product=products[index % 2],
            quarter_start=date(2017, 1 + 3 * (index % 4), 1),
            amount=Decimal(1000 * (index % 389 + 1)),
        )
        for index, account in enumerate(accounts)
    )
    score_run_request(trigger="test")


def page_opened(
    browser: Browser,
    live_server: LiveServer,
    user: User,
    width: int,
    height: int,
    requested: list[str],
) -> Page:
    """Log in on a new page, noting in `requested` every URL it asks for."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(30000)
    page.on("request", lambda request: requested.append(request.url))
    browser_login(page, live_server, user.username)
    page.wait_for_selector("#quadrant .main-svg")
    return page


def legend_drawn(page: Page) -> None:
    # The legend is drawn after the markers, and again on a resize.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#quadrant .legendtext')]"
        ".some(text => text.textContent.startsWith('Monitor ('))"
    )


def chart_opened(
    browser: Browser,
    live_server: LiveServer,
    user: User,
    width: int,
    height: int,
    requested: list[str],
) -> Page:
    page = page_opened(browser, live_server, user, width, height, requested)
    page.wait_for_selector("#quadrant .scatterlayer .point")
    legend_drawn(page)
    return page


def assert_drawn_without_webgl(page: Page) -> None:
    holder = page.locator("#quadrant")
    traces = page.evaluate(
        "document.getElementById('quadrant').data.map(trace => trace.type)"
    )
    assert "scattergl" not in traces
    assert "heatmap" in traces
    assert holder.get_attribute("data-renderer") == "svg"
    assert page.locator("#quadrant .heatmaplayer image").count() == 1
    assert page.locator("#quadrant .scatterlayer .point").count() > 0
    legend = page.locator("#quadrant .legend .legendtext").all_text_contents()
    assert any(text.startswith("Grow (") for text in legend), legend
    assert any(text.startswith("Monitor (") for text in legend)
    # SVG text has no innerText; its text content is what is drawn.
    text = holder.text_content() or ""
    assert "Performance: what the account buys today (0-100)" in text
    assert f"Shading: where all {ACCOUNTS:,} accounts sit" in text
    assert page.locator(".no-webgl").count() == 0
    assert PLOTLY_NOTICE not in page.locator("body").inner_text()


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (820, 1180)])
def test_it_draws_the_density_view_where_webgl_is_off(
    browser_without_webgl: Browser,
    live_server: LiveServer,
    ops: User,
    tmp_path: Path,
    width: int,
    height: int,
) -> None:
    # given a portfolio the worker draws with WebGL markers
    portfolio_scored(size=ACCOUNTS)
    requested: list[str] = []

    # when
    page = chart_opened(
        browser_without_webgl, live_server, ops, width, height, requested
    )

    # then
    assert page.evaluate(WEBGL_PROBE) is False
    assert_drawn_without_webgl(page)
    assert any("renderer=svg" in url for url in requested)
    assert page.locator("#quadrant canvas.gl-canvas-context").count() == 0
    page.screenshot(path=str(tmp_path / f"quadrant-no-webgl-{width}.png"))


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (820, 1180)])
def test_it_draws_webgl_markers_under_the_page_policy(
    browser_with_webgl: Browser,
    live_server: LiveServer,
    ops: User,
    tmp_path: Path,
    width: int,
    height: int,
) -> None:
    # given a Chromium that offers WebGL, and a page policy without eval:
    # the strict plotly.js bundle draws WebGL traces without it
    portfolio_scored(size=ACCOUNTS)
    requested: list[str] = []

    # when
    page = page_opened(browser_with_webgl, live_server, ops, width, height, requested)
    page.wait_for_selector("#quadrant canvas.gl-canvas-context")
    legend_drawn(page)

    # then
    policy = page.context.request.get(page.url).headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-eval'" not in policy
    assert page.evaluate(WEBGL_PROBE) is True
    holder = page.locator("#quadrant")
    assert holder.get_attribute("data-renderer") == "webgl"
    traces = page.evaluate(
        "document.getElementById('quadrant').data.map(trace => trace.type)"
    )
    assert traces.count("scattergl") == 4
    assert "heatmap" not in traces
    assert page.evaluate(WEBGL_PIXELS_DRAWN) > 1000
    figures = [url for url in requested if "/figure" in url]
    assert figures, requested
    assert not any("renderer=svg" in url for url in requested), figures
    assert page.locator(".no-webgl").count() == 0
    assert PLOTLY_NOTICE not in page.locator("body").inner_text()
    legend = page.locator("#quadrant .legend .legendtext").all_text_contents()
    assert any(text.startswith("Grow (") for text in legend), legend
    page.screenshot(path=str(tmp_path / f"quadrant-webgl-{width}.png"))
