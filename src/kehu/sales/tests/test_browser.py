"""The kanban in a real browser: drag an opportunity card to another column (HTML5 drag and
drop), see it land and the database change; drag one to the lost column, give the loss reason
in the dialog; a refused move (closed card, reopen declined) snaps back."""

import re

from kehu.core.tests.browser import BROWSER_MARKS, SCREENSHOTS, want_screenshots

pytestmark = BROWSER_MARKS


def test_sales_rep_drags_an_opportunity_across_the_board(live_server, browser_page):
    from kehu.accounts.tests.factories import build_org
    from kehu.customers.tests.factories import make_customer
    from kehu.sales.models import Opportunity
    from kehu.sales.tests.factories import make_opportunity

    org = build_org()
    customer = make_customer(owner=org.owner, name="上海东方精密机械有限公司")
    moving = make_opportunity(customer=customer, name="MES 一期", amount=200000)
    losing = make_opportunity(customer=customer, name="仓储二期", amount=50000)
    page, errors = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "pw-Kehu-2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    # Wide enough for all six columns: a drop target that must first be scrolled into view
    # (the board scrolls sideways) breaks the drag that Playwright has already started.
    page.set_viewport_size({"width": 1920, "height": 1000})
    page.goto(f"{base}/sales/opportunities/board/")

    # Drag to 方案报价: the card lands there and the database follows. (A few intermediate mouse
    # moves: chromium starts an HTML5 drag only once the pointer travels while pressed.)
    card = page.locator(f"[data-testid=card-{moving.pk}]")
    card.drag_to(page.locator("[data-testid=column-proposal] [data-drop-zone]"), steps=5)
    page.locator(f"[data-testid=column-proposal] [data-testid=card-{moving.pk}]").wait_for()
    moving.refresh_from_db()
    assert moving.stage.code == "proposal"
    assert moving.version == 2
    proposal = page.locator("[data-testid=column-proposal]")
    assert proposal.locator("[data-role=count]").inner_text() == "1"

    # After a reload the card is still there.
    page.reload()
    page.locator(f"[data-testid=column-proposal] [data-testid=card-{moving.pk}]").wait_for()
    if want_screenshots():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "opportunity-board.png"))

    # Drag to 输单: the dialog asks for the loss reason first.
    page.locator(f"[data-testid=card-{losing.pk}]").drag_to(
        page.locator("[data-testid=column-lost] [data-drop-zone]"), steps=5
    )
    page.locator("#loss-reason-input").fill("客户预算取消")
    page.locator("#loss-reason-form button[type=submit]").click()
    page.locator(f"[data-testid=column-lost] [data-testid=card-{losing.pk}]").wait_for()
    losing.refresh_from_db()
    assert (losing.stage.code, losing.loss_reason) == ("lost", "客户预算取消")

    # Moving the closed card out again: declining the reopen question snaps it back.
    questions = []

    def decline(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.locator(f"[data-testid=card-{losing.pk}]").drag_to(
        page.locator("[data-testid=column-negotiation] [data-drop-zone]"), steps=5
    )
    page.wait_for_timeout(300)
    assert len(questions) == 1
    assert page.locator(f"[data-testid=column-lost] [data-testid=card-{losing.pk}]").count() == 1
    assert Opportunity.objects.get(pk=losing.pk).stage.code == "lost"

    # Closing as won without an amount is refused: a toast says why, the card stays.
    no_amount = make_opportunity(customer=customer, name="无金额商机", amount=None)
    page.reload()
    page.locator(f"[data-testid=card-{no_amount.pk}]").drag_to(
        page.locator("[data-testid=column-won] [data-drop-zone]"), steps=5
    )
    page.locator("#toasts .toast.text-bg-danger").wait_for()
    # The reason names the stage (the message text itself is translated).
    assert "赢单" in page.locator("#toasts .toast.text-bg-danger .toast-body").inner_text()
    assert page.locator(f"[data-testid=column-won] [data-testid=card-{no_amount.pk}]").count() == 0
    assert Opportunity.objects.get(pk=no_amount.pk).stage.code == "initial_contact"
    assert errors == []
