# ruff: noqa: RUF001  (Chinese text uses full-width parentheses and semicolons)
"""The helpdesk and portal flows in Simplified Chinese, in a real browser.

The English runs are test_helpdesk_flow.py and test_portal_flow.py. Here the helpdesk member
picks 简体中文 in the header's switch; Alice's browser asks for zh-CN (Accept-Language). Each
page must show Chinese, none of the interface's English words, and no label cut off or
overflowing at 1280 px and at 375 px.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import follow, screenshot
from tests.factories import seeded_desktop

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.simulator(speed=4),
    pytest.mark.django_db(transaction=True),
]

# Words of the English interface that must not be left on a Chinese page.
ENGLISH_WORDS = [
    "Add",
    "Approvals",
    "Approve",
    "Audit",
    "Cancel",
    "Desktop",
    "Desktops",
    "Disk",
    "Disks",
    "Done",
    "Failed",
    "History",
    "Overview",
    "Progress",
    "Request",
    "Requests",
    "Size",
    "Sign out",
    "Status",
    "Submit",
    "Theme",
    "Type",
    "Waiting",
    "approve",
    "disks",
    "request",
    "waiting",
]
ENGLISH = re.compile(r"\b(?:" + "|".join(ENGLISH_WORDS) + r")\b")

# Text that does not fit its box: an element whose content is wider than it (clipped or
# scrolling), or that reaches past the window's right edge; and the page's own width.
UNFIT_TEXT = """
(width) => {
  const out = [];
  const selector = "main label, main button, main a, main th, main td, main h1, main h2, "
    + "main h3, main legend, main dt, main dd, main p, main .badge, main .status, "
    + "header a, header button, header label, header .who";
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest(".visually-hidden, details:not([open]), [hidden]")) continue;
    // Tables shown as cards on a phone keep their header row off screen, for screen readers.
    const head = el.closest("thead");
    if (head && getComputedStyle(head).position === "absolute") continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const text = (el.innerText || "").trim().slice(0, 30);
    if (!text) continue;
    const style = getComputedStyle(el);
    const clips = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
      && style.display !== "inline" && !el.matches("td, .table-wrap");
    if (clips || box.right > width + 0.5) out.push(`${el.tagName.toLowerCase()}: ${text}`);
  }
  if (document.documentElement.scrollWidth > width) {
    out.push(`page: ${document.documentElement.scrollWidth}px wide`);
  }
  return out;
}
"""


def assert_chinese(page, what: str) -> None:
    text = page.locator("body").inner_text()
    assert re.search(r"[\u4e00-\u9fff]", text), f"{what}: no Chinese"
    left = sorted(set(ENGLISH.findall(text)))
    assert not left, f"{what}: English left: {left}"


def assert_text_fits(page, what: str) -> None:
    """No Chinese label clipped or overflowing at 1280 px and at 375 px."""
    try:
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            unfit = page.evaluate(UNFIT_TEXT, width)
            assert not unfit, f"{what} at {width}px: {unfit}"
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def check(page, what: str) -> None:
    assert_chinese(page, what)
    assert_text_fits(page, what)


def log_in_in_chinese(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(f"pw-{user.username}-1")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_helpdesk_adds_disks_in_chinese(page, synced, helpdesk_user):
    from tests.e2e.conftest import log_in

    log_in(page, helpdesk_user)
    page.get_by_label("Language").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    check(page, "helpdesk overview")

    desktop_id = seeded_desktop(synced, data_disks=0)
    follow(page, page.get_by_role("link", name="云桌面", exact=True))
    check(page, "desktop list")
    page.get_by_label("按云桌面名称、用户或 ID 搜索").fill(desktop_id)
    follow(page, page.get_by_role("link", name=re.compile(r"-PC\d+")).first)
    check(page, "desktop page")
    page.get_by_role("link", name="添加磁盘").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("添加数据盘")

    page.wait_for_load_state()  # htmx binds the live validation once its deferred script ran
    page.get_by_label("容量（GB）").fill("25")
    expect(page.locator("#id_disks-0-size-errors")).to_contain_text("请选择 20 或 30")
    page.get_by_label("容量（GB）").fill("20")
    expect(page.locator("#id_disks-0-size-errors")).to_be_empty()
    page.get_by_role("button", name="再添加一块磁盘").click()
    expect(page.locator("#slots")).to_contain_text("本次申请添加 2 块；还可以再添加 8 块。")
    page.locator("#id_disks-1-type").select_option("SSD")
    page.locator("#id_disks-1-size").fill("40")
    check(page, "add-disk form")
    screenshot(page, "zh-add-disk-form")
    page.get_by_role("button", name="添加 2 块磁盘").click()

    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    status = page.locator("#request-status")
    expect(status).to_contain_text("磁盘已添加到云桌面。", timeout=20_000)
    expect(status).not_to_have_attribute("hx-trigger", re.compile(".*"))
    check(page, "finished request")
    screenshot(page, "zh-finished-job")

    for name in ("申请", "审批", "批量任务", "API 令牌", "运维", "概览"):
        follow(page, page.get_by_role("navigation", name="主导航").get_by_role("link", name=name))
        check(page, name)
    follow(page, page.get_by_role("link", name="偏好设置"))
    check(page, "preferences")


def test_portal_request_is_approved_and_finishes_in_chinese(
    new_page, e2e_settings, synced, end_user, helpdesk_user, auditor
):
    e2e_settings.PORTAL_APPROVAL_ABOVE_GB = 100
    alice = new_page(locale="zh-CN")
    helen = new_page(locale="zh-CN")

    log_in_in_chinese(alice, end_user)
    expect(alice).to_have_url(re.compile("/portal/$"))
    check(alice, "portal home")
    alice.get_by_role("link", name=re.compile("为 AWONG-PC.* 申请磁盘")).first.click()
    alice.wait_for_load_state()
    check(alice, "portal form")
    alice.get_by_label("容量（GB）").fill("300")
    alice.get_by_role("button", name="添加 1 块磁盘").click()
    status = alice.locator("#request-status")
    expect(status).to_contain_text("正在等待服务台成员审批。")
    check(alice, "portal request page")
    screenshot(alice, "zh-portal-waiting-for-approval")

    log_in_in_chinese(helen, helpdesk_user)
    helen.get_by_role("link", name=re.compile("^审批")).click()
    expect(helen.locator("main")).to_contain_text("（申请人：alice.wong）")
    check(helen, "approvals")
    helen.get_by_role("button", name=re.compile(r"批准 #\d+")).click()
    expect(helen.locator(".messages")).to_contain_text("已批准并发送到云端")

    expect(status).to_contain_text("磁盘已添加到云桌面。", timeout=25_000)
    expect(alice.locator("main")).to_contain_text("hana.helpdesk")
    check(alice, "finished portal request")

    otto = new_page(locale="zh-CN")
    log_in_in_chinese(otto, auditor)
    expect(otto.get_by_role("heading", level=1)).to_contain_text("审计历史")
    check(otto, "audit history")
    follow(otto, otto.locator("#event-rows a").first)
    check(otto, "audit event")
