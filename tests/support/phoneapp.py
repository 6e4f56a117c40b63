"""The phone app (PWA at ``/m/``) in a real Chromium with a fake camera.

Chromium's fake capture device plays a Y4M file (``--use-file-for-fake-video-capture``):
:func:`show_to_camera` writes the QR code the test wants the phone to see into that file
before the app opens the camera, so scanning goes through ``getUserMedia`` and the
vendored decoder exactly as on a phone. The phone runs in its own browser (the camera
flags are per browser) with a 390×844 touch viewport; the desktop is another browser.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.factories import PASSWORD, unique_phone, valid_id_number

FRAME = 640  # square frames; the app's viewfinder is square too
PHONE_VIEWPORT = {"width": 390, "height": 844}


def y4m_bytes(gray: bytes, size: int, frames: int = 3) -> bytes:
    """A YUV4MPEG2 stream of ``frames`` identical greyscale I420 frames (``size``×``size``)."""
    assert len(gray) == size * size and size % 2 == 0
    chroma = bytes([128]) * ((size // 2) * (size // 2) * 2)  # U and V: no colour
    header = f"YUV4MPEG2 W{size} H{size} F10:1 Ip A1:1 C420jpeg\n".encode("ascii")
    return header + b"".join(b"FRAME\n" + gray + chroma for _ in range(frames))


def _centred(image: Any) -> bytes:
    """The image (any mode) scaled with hard edges onto a white square frame, as luma."""
    from PIL import Image

    gray = image.convert("L")
    side = int(FRAME * 0.8)
    gray = gray.resize((side, side), Image.Resampling.NEAREST)
    canvas = Image.new("L", (FRAME, FRAME), 255)
    canvas.paste(gray, ((FRAME - side) // 2, (FRAME - side) // 2))
    return canvas.tobytes()


def show_to_camera(video: Path, qr: bytes | str) -> None:
    """Puts a QR code in front of the fake camera: PNG bytes of one, or the text to encode."""
    from PIL import Image

    if isinstance(qr, str):
        import segno

        buf = io.BytesIO()
        segno.make(qr, error="m").save(buf, kind="png", scale=4, border=4)
        qr = buf.getvalue()
    video.write_bytes(y4m_bytes(_centred(Image.open(io.BytesIO(qr))), FRAME))


def show_nothing(video: Path) -> None:
    video.write_bytes(y4m_bytes(bytes([200]) * (FRAME * FRAME), FRAME))


@pytest.fixture(scope="session")
def camera_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "qr.y4m"
    show_nothing(path)
    return path


@pytest.fixture(scope="session")
def phone_browser(playwright_driver: Any, camera_video: Path) -> Iterator[Any]:
    """A browser of its own: the fake camera is a launch option."""
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={camera_video}",
    ]
    b = playwright_driver.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
    yield b
    b.close()


class AppPage:
    """The phone: one browser context with the app open, and what a user does in it."""

    def __init__(self, page: Any, video: Path, data_dir: Path) -> None:
        self.page = page
        self.video = video
        self.data_dir = data_dir
        self.phone = ""
        self.name = ""
        self.errors: list[str] = []

    def open(self, hash: str = "") -> None:
        self.page.goto(f"/m/{hash}")
        self.page.wait_for_selector("[data-screen]")

    def screen(self) -> str:
        return str(self.page.locator("[data-screen]").get_attribute("data-screen"))

    def wait_screen(self, name: str) -> None:
        self.page.wait_for_selector(f'[data-screen="{name}"]')

    def register(self, name: str = "张三", phone: str | None = None) -> None:
        self.phone = phone or unique_phone()
        self.name = name
        self.open("#/register")
        p = self.page
        p.fill("#phone", self.phone)
        p.fill("#name", name)
        p.fill("#id-number", valid_id_number())
        p.fill("#password", PASSWORD)
        p.fill("#password2", PASSWORD)
        p.click("#register-submit")
        self._maybe_sms_code()
        self.wait_screen("home")

    def bind(self, phone: str, password: str = PASSWORD) -> None:
        self.phone = phone
        self.open("#/bind")
        self.page.fill("#phone", phone)
        self.page.fill("#password", password)
        self.page.click("#bind-submit")
        self._maybe_sms_code()
        self.wait_screen("home")

    def _maybe_sms_code(self) -> None:
        """Registration and binding may prove the phone number with an SMS code."""
        from tests.support.factories import last_sms_code

        p = self.page
        for _ in range(2):  # registering, then binding, may each ask for one
            p.wait_for_selector('[data-screen="home"], #code-form:not([data-used]), .msg.error')
            if not p.locator("#code-form:not([data-used])").count():
                return
            p.locator("#code-form").evaluate("(f) => f.setAttribute('data-used', '')")
            p.fill("#code", last_sms_code(self.data_dir, self.phone))
            p.click("#code-submit")

    def scan(self, qr: bytes | str) -> None:
        """Shows ``qr`` to the camera and taps 扫一扫; returns once the app has decided
        what to show (a confirmation or a refusal)."""
        show_to_camera(self.video, qr)
        self.open("#/home")
        self.page.click("#go-scan")
        try:
            self.page.wait_for_selector(
                '[data-screen="confirm-login"], [data-screen="confirm-sign"], [data-screen="refused"]',
                timeout=20_000,
            )
        except Exception:
            self.page.screenshot(path="/tmp/pwa-scan-failed.png")
            raise

    def type_code(self, code: str) -> None:
        self.open("#/code")
        self.page.fill("#short-code", code)
        self.page.locator("#lookup-error").evaluate("(el) => el.replaceChildren()")
        self.page.click("#lookup-submit")
        self.page.wait_for_selector(
            '[data-screen="confirm-login"], [data-screen="confirm-sign"], [data-screen="refused"],'
            " #lookup-error .msg"
        )

    def approve(self) -> None:
        self.page.click("#approve")
        self.page.wait_for_selector('#decided[data-decision="approved"]')

    def deny(self) -> None:
        self.page.click("#deny")
        self.page.wait_for_selector('#decided[data-decision="denied"]')

    def refusal(self) -> tuple[str, str]:
        el = self.page.locator("#refusal")
        return str(el.get_attribute("data-reason")), el.inner_text()


def new_phone_page(browser: Any, base_url: str, locale: str = "zh-CN") -> Any:
    context = browser.new_context(
        base_url=base_url,
        viewport=PHONE_VIEWPORT,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale=locale,
    )
    context.set_default_timeout(15_000)
    context.grant_permissions(["camera"], origin=base_url)
    return context.new_page()


@pytest.fixture
def app_page(
    phone_browser: Any, live_server: Any, camera_video: Path, settings: Any
) -> Iterator[AppPage]:
    page = new_phone_page(phone_browser, live_server.url)
    app = AppPage(page, camera_video, settings.data)
    # The app runs under the portal's Content-Security-Policy: a blocked script fails.
    page.on(
        "console",
        lambda m: app.errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: app.errors.append(f"uncaught: {e}"))
    yield app
    page.context.close()
    assert not app.errors, app.errors


@pytest.fixture
def desktop_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """The web portal on a computer; drawn at 2× so its QR code photographs cleanly."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", device_scale_factor=2)
    context.set_default_timeout(15_000)
    p = context.new_page()
    yield p
    context.close()


def web_login_qr(page: Any) -> bytes:
    """The login QR code as the desktop's screen shows it (a PNG)."""
    page.goto("/login")
    box = page.locator("#qr-login-code[data-payload] svg")
    box.wait_for()
    png: bytes = box.screenshot()
    return png
