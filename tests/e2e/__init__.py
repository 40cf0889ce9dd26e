"""Browser journeys (playwright + chromium)."""


def open_nav(page, label: str, menu: str | None = None) -> None:
    """Follow the navigation entry named `label`, opening its area's menu (`menu`) first."""
    if menu is not None:
        page.click(f"nav.mainnav summary:text-is('{menu}')")
    page.click(f"nav.mainnav a >> text={label}")
