from playwright.sync_api import Locator, Page, expect

PASSWORD = "pw-for-tests"  # what tests/accounts/factories.py gives every user


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Through the login form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def question(page: Page, title: str) -> Locator:
    """The section of one question on the attempt page, by its title."""
    return page.locator("section.question").filter(has=page.get_by_role("heading", name=title))


def editor(section: Locator) -> Locator:
    """The CodeMirror editor's editable content inside a code question."""
    return section.locator(".cm-editor .cm-content")


def type_code(page: Page, section: Locator, *lines: str) -> None:
    """Replace the editor's content by typing, line by line; the editor indents after `:` itself."""
    editor(section).click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    for i, line in enumerate(lines):
        if i:
            page.keyboard.press("Enter")
        page.keyboard.type(line)


def wait_saved(page: Page) -> None:
    expect(page.locator("#save-state")).to_have_text("All answers saved", timeout=10_000)


def csrf_token(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
