"""Filling in the contact log's form, for the browser journeys through the log and the complaint."""

from playwright.sync_api import expect

FLAG_BOXES = {
    flag: f"#log-flag-{flag}"
    for flag in ("night", "threat", "third-party", "impersonation", "personal-account")
}


def add_entry(page, entry: dict, save: str, saved: str):
    """Fill one entry ({when, channel, who, what, flags}) and save it with the button named `save`;
    the form then says `saved` and is empty, ready for the next one."""
    page.locator("#log-when").fill(entry["when"])
    page.locator("#log-channel").select_option(entry["channel"])
    page.locator("#log-who").fill(entry["who"])
    page.locator("#log-what").fill(entry["what"])
    for flag in entry["flags"]:
        page.locator(FLAG_BOXES[flag]).check()
    page.get_by_role("button", name=save, exact=True).click()
    expect(page.locator("#log-form .copy-status")).to_have_text(saved)
    expect(page.locator("#log-what")).to_have_value("")
    for box in FLAG_BOXES.values():
        expect(page.locator(box)).not_to_be_checked()
