"""The page's views of caption, reply and frames runs in a real browser (Debian's chromium
driven by Playwright) against elman serve on 127.0.0.1 serving tiny runs trained here: each
view appears for its route only, draws the route's own answer to what the page sent (fetched
again directly) and shows a bad input's error on its status line."""

import ast
import base64
import json
import re

import numpy as np
import pytest

pytest.importorskip("fastapi")
from test_reply import PAIRS  # noqa: E402
from test_serve import FIXTURES, Server, post  # noqa: E402
from test_web import browser, shoot, shots  # noqa: E402, F401  (browser, shots: fixtures)

from elman.cli import main  # noqa: E402
from elman.cli.serve import served_runs  # noqa: E402
from elman.data import clips, digit_images  # noqa: E402
from elman.serve.app import STATIC, build_app  # noqa: E402
from elman.serve.limits import Limits  # noqa: E402

VIEWS = {"caption": "caption", "reply": "reply", "frames": "frames", "moving": "frames"}


def train(out, *args):
    assert main(["train", "--out", str(out), "--max-steps", "2", "--eval-every", "2",
                 "--hidden-sizes", "8", "--quiet", *args]) == 0
    return str(out)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("views")
    pairs = tmp / "pairs.tsv"
    pairs.write_text("".join(f"{m}\t{r}\n" for m, r in PAIRS), encoding="utf-8")
    runs = [
        train(tmp / "caption", "--task", "caption", "--examples", "16", "--valid-examples", "4",
              "--batch-size", "8", "--conv-channels", "4,4,4,4", "--embed-dim", "4"),
        train(tmp / "reply", "--task", "reply", "--data", str(pairs), "--valid", str(pairs),
              "--batch-size", "4", "--embed-dim", "4", "--space-dim", "4"),
        train(tmp / "frames", "--task", "frames", "--examples", "40"),
        train(tmp / "moving", "--task", "frames", "--clips", "moving", "--target", "frame",
              "--examples", "20", "--frames-min", "4", "--frames-max", "6", "--frame-size",
              "24", "--channels", "4", "--frame-dim", "8"),
        str(FIXTURES / "runs" / "classify")]
    with Server(build_app(served_runs(runs), Limits(max_wait_ms=5))) as client:
        yield client


@pytest.fixture
def page(browser, site):  # noqa: F811
    """A 1280x800 page of the site; the test fails on any console error or page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    errors = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.set_default_timeout(15_000)
    tab.site = str(site.base_url)
    yield tab
    context.close()
    # the 4xx answers the tests ask for are logged by the browser as failed loads
    assert not [e for e in errors if "the server responded with a status of 422" not in e], \
        errors


def open_view(page, run: str, which: str, drawn: str):
    """The section of view ``which`` of ``run`` once its first answer (``drawn``, a selector
    in it) is there."""
    page.goto(f"{page.site}/#{run}")
    section = page.locator(f"section[data-view='{which}']")
    section.locator(drawn).first.wait_for()
    return section


def status(section, text: str):
    """Wait until the view's status line reads ``text``; check that it is an error."""
    where = f"section[data-view='{section.get_attribute('data-view')}'] .status"
    section.page.wait_for_function("([s, text]) => document.querySelector(s).textContent "
                                   "=== text", arg=[where, text])
    assert section.locator(".status").get_attribute("role") == "alert"
    assert "error" in section.locator(".status").get_attribute("class")


def answered(section):
    """Wait until the view's button is enabled again: the answer to its click is drawn."""
    section.page.wait_for_function("s => !document.querySelector(s + ' button[type=submit]')"
                                   ".disabled", arg=f"section[data-view="
                                   f"'{section.get_attribute('data-view')}']")


def quiet(section):
    """Wait until the view's status line is clear: a file's answer is drawn."""
    section.page.wait_for_function("s => document.querySelector(s + ' .status')"
                                   ".textContent === ''", arg=f"section[data-view="
                                   f"'{section.get_attribute('data-view')}']")


def sent(page, path: str) -> list:
    """Record the JSON bodies the page POSTs to ``path`` (a list that fills)."""
    bodies = []
    page.on("request", lambda r: bodies.append(json.loads(r.post_data))
            if r.method == "POST" and r.url.endswith(path) else None)
    return bodies


def drop(section, path):
    """Drop the file at ``path`` on ``section``, as a file dragged from the desktop is."""
    data = section.page.evaluate_handle("([name, bytes]) => { const t = new DataTransfer(); "
                                        "t.items.add(new File([new Uint8Array(bytes)], name)); "
                                        "return t; }", [path.name, list(path.read_bytes())])
    section.dispatch_event("dragover", {"dataTransfer": data})
    section.dispatch_event("drop", {"dataTransfer": data})


def font_row(text: str, height: int, width: int) -> np.ndarray:
    """The digits of ``text`` as pad.js writes them, from digit_images.glyph."""
    out = np.zeros((height, width))
    gap, top = (width - 28 * len(text)) / (len(text) + 1), (height - 28) // 2
    for k, d in enumerate(text):
        left = round(gap * (k + 1) + 28 * k) + 4
        out[top:top + 28, left:left + 20] = 255 * digit_images.glyph(int(d))
    return out


def test_the_fonts_of_the_page_and_of_the_library_agree():
    text = (STATIC / "pad.js").read_text(encoding="utf-8")
    body = re.search(r"export const FONT = \{(.*?)\n\};", text, re.S).group(1)
    font = {int(k): tuple(ast.literal_eval(v)) for k, v in re.findall(r"(\d): (\[.*?\]),", body)}
    assert font == digit_images.FONT


def test_each_view_appears_for_its_route_and_no_other_and_fits_a_phone(page, site):
    for run in [*VIEWS, "classify"]:
        page.goto(f"{page.site}/#{run}")
        page.wait_for_function(f"() => document.getElementById('run-title')?.textContent "
                               f"=== {run!r}")
        page.wait_for_selector("section[data-view='architecture']")
        shown = set(page.locator("section[data-view]").evaluate_all(
            "ss => ss.map(s => s.dataset.view)"))
        assert shown & set(VIEWS.values()) == ({VIEWS[run]} if run in VIEWS else set()), run
        assert not {v for v in shown if v.startswith("route-")}, shown   # no plain form left
    page.set_viewport_size({"width": 390, "height": 844})                   # a phone
    for run, which in VIEWS.items():
        page.goto(f"{page.site}/#{run}")
        page.wait_for_selector(f"section[data-view='{which}'] "
                               ":is([data-caption], .chip, [data-output])")     # answered
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, run


def test_a_caption_of_written_digits_a_file_and_a_bad_upload(page, site, shots,  # noqa: F811
                                                            tmp_path):
    section = open_view(page, "caption", "caption", ".caption[data-caption]")
    pixels = np.array(section.locator("canvas.pad").evaluate(
        "c => [...c.getContext('2d').getImageData(0, 0, c.width, c.height).data]"))
    assert (pixels.reshape(64, 128, 4)[..., 0] == font_row("371", 64, 128)).all()
    png = section.locator("canvas.pad").evaluate("c => c.toDataURL('image/png')")
    data = base64.b64decode(png.split(",", 1)[1])
    want = site.post("/v1/caption/caption", files=[("file", ("c.png", data))]).json()
    assert section.locator(".caption").get_attribute("data-caption") == \
        want["outputs"][0]["caption"]

    section.get_by_label("Digits in the font").fill("42")
    section.get_by_role("button", name="Write").click()
    section.get_by_label("Beam width").fill("2")
    section.get_by_role("button", name="Caption the canvas").click()
    answered(section)
    image = tmp_path / "42.png"
    image.write_bytes(base64.b64decode(section.locator("canvas.pad").evaluate(
        "c => c.toDataURL('image/png')").split(",", 1)[1]))
    want = site.post("/v1/caption/caption?beam=2",
                     files=[("file", ("42.png", image.read_bytes()))]).json()
    assert section.locator(".caption").get_attribute("data-caption") == \
        want["outputs"][0]["caption"]
    section.get_by_label("Or an image file").set_input_files(str(image))
    page.wait_for_function("() => document.querySelector(\"section[data-view='caption'] "
                           ".source\").textContent === 'the caption of 42.png'")
    assert section.locator(".caption").get_attribute("data-caption") == \
        want["outputs"][0]["caption"]
    shoot(page, section, shots, "caption")

    section.get_by_label("Or an image file").set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image"}])
    want = site.post("/v1/caption/caption?beam=2",
                     files=[("file", ("notes.png", b"not an image"))])
    assert want.status_code == 422
    status(section, want.json()["error"])
    section.get_by_label("Beam width").fill("0")
    section.get_by_role("button", name="Caption the canvas").click()
    status(section, site.post("/v1/caption/caption?beam=0", files=[(
        "file", ("c.png", data))]).json()["error"])
    section.get_by_label("Digits in the font").fill("12345")
    section.get_by_role("button", name="Write").click()
    status(section, 'digits: expected 1 to 4 digits 0-9 (a 128 x 64 canvas), got "12345"')


def test_replies_are_chips_with_scores_and_fill_the_conversation(page, site, shots):  # noqa: F811
    bodies = sent(page, "/v1/reply/reply")
    section = open_view(page, "reply", "reply", "button.chip")
    want = post(site, "/v1/reply/reply", inputs=["hello there"], k=3)[1]["outputs"][0]["replies"]
    chips = section.locator("button.chip")
    assert chips.evaluate_all("cs => cs.map(c => [c.dataset.text, Number(c.dataset.score)])") \
        == [[r["text"], pytest.approx(r["score"])] for r in want]
    assert bodies[0] == {"inputs": ["hello there"], "k": 3} and len(want) == 3
    chips.nth(1).focus()
    page.keyboard.press("Enter")                                        # keyboard usable
    log = section.locator(".conversation li")
    assert log.all_text_contents() == ["message: hello there", f"reply: {want[1]['text']}"]
    assert page.evaluate("document.activeElement.id") == "reply-reply-in"

    page.keyboard.type("   ")
    page.keyboard.press("Enter")
    status(section, post(site, "/v1/reply/reply", inputs=["   "], k=3)[1]["error"])
    section.get_by_label("replies", exact=True).fill("0")
    section.get_by_role("button", name="Suggest replies").click()
    status(section, post(site, "/v1/reply/reply", inputs=["   "], k=0)[1]["error"])
    section.get_by_label("replies", exact=True).fill("3")
    section.get_by_label("A message").fill("what is your name ?")
    page.keyboard.press("Enter")
    answered(section)
    shoot(page, section, shots, "reply")


def test_a_drawn_digit_and_a_npy_image_are_labelled_by_the_route(page, site, tmp_path):
    bodies = sent(page, "/v1/frames/label")
    section = open_view(page, "frames", "frames", ".label[data-output]")
    image = bodies[0]["inputs"][0]                        # uint8 pixels as the run reads them
    assert np.array_equal(image, font_row("7", 28, 28) / 255)
    want = post(site, "/v1/frames/label", inputs=[image])[1]["outputs"][0]
    assert json.loads(section.locator(".label").get_attribute("data-output")) == want
    assert section.locator(".label .output").text_content() == want["label"]

    digit = digit_images.font_digits(1, seed=3)[0][0]                  # (28, 28) uint8
    np.save(tmp_path / "digit.npy", digit)
    with page.expect_response(lambda r: r.url.endswith("/v1/frames/label")):
        section.get_by_label("Or a clip").set_input_files(str(tmp_path / "digit.npy"))
    quiet(section)
    assert np.array_equal(bodies[-1]["inputs"][0], digit / 255)
    want = post(site, "/v1/frames/label", inputs=[(digit / 255).tolist()])[1]["outputs"][0]
    assert json.loads(section.locator(".label").get_attribute("data-output")) == want

    section.get_by_role("button", name="Clear").click()
    box = section.locator("canvas.pad").bounding_box()                  # 28 x 28 at 6x
    page.mouse.move(box["x"] + 30, box["y"] + 84)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 84, steps=8)               # a bar across
    page.mouse.up()
    with page.expect_request(lambda r: r.url.endswith("/v1/frames/label")) as request:
        section.get_by_role("button", name="Label it").click()
    drawn = np.array(json.loads(request.value.post_data)["inputs"][0])
    answered(section)
    assert drawn[14, 6:22].min() == 1 and drawn[:8].max() == 0 and drawn[20:].max() == 0

    np.save(tmp_path / "row.npy", np.arange(3))                           # int64
    section.get_by_label("Or a clip").set_input_files(str(tmp_path / "row.npy"))
    status(section, post(site, "/v1/frames/label", inputs=[[0, 1, 2]])[1]["error"])
    (tmp_path / "notes.npy").write_text("no array here")
    section.get_by_label("Or a clip").set_input_files(str(tmp_path / "notes.npy"))
    status(section, 'clip: expected a .npy array of numbers (C order, little-endian), got '
           '"notes.npy": no .npy header')


def test_a_drawn_digit_moving_across_frames_gets_a_label_per_frame(page, site, shots,  # noqa: F811
                                                                  tmp_path):
    bodies = sent(page, "/v1/moving/label")
    section = open_view(page, "moving", "frames", ".frames li")
    clip = np.rint(np.array(bodies[0]["inputs"][0]) * 255)                # (T, 24, 24)
    assert clip.shape == (6, 24, 24)
    group = clips.shrink(font_row("7", 28, 28))
    assert (clip[0, 5:19, 5:19] == np.round(group)).all() and clip[0].sum() == \
        np.round(group).sum()
    assert (clip[1, 5:19, 7:21] == clip[0, 5:19, 5:19]).all()            # 2 pixels right
    want = post(site, "/v1/moving/label", inputs=bodies[0]["inputs"])[1]["outputs"][0]
    frames = section.locator(".frames li")
    assert frames.evaluate_all("fs => fs.map(f => f.dataset.label)") == want["labels"]
    assert section.locator(".frames canvas").count() == 6
    shoot(page, section, shots, "frames")

    float32 = (clip[..., None] / 255).astype(np.float32)                 # (T, H, W, 1)
    np.save(tmp_path / "clip.npy", float32)
    with page.expect_response(lambda r: r.url.endswith("/v1/moving/label")) as response:
        drop(section, tmp_path / "clip.npy")
    quiet(section)
    body = json.loads(response.value.request.post_data)
    assert np.array_equal(np.array(body["inputs"][0], np.float32), float32)
    want = post(site, "/v1/moving/label", **body)[1]["outputs"][0]
    assert frames.evaluate_all("fs => fs.map(f => f.dataset.label)") == want["labels"]

    section.get_by_label("Moving", exact=True).select_option("up")
    section.get_by_label("Frames", exact=True).fill("1")
    section.get_by_role("button", name="Label it").click()
    status(section, 'frames: expected an integer >= 2, got "1"')
    section.get_by_label("Frames", exact=True).fill("3")
    section.get_by_role("button", name="Label it").click()
    answered(section)
    page.wait_for_function("() => document.querySelectorAll(\"section[data-view='frames'] "
                           ".frames li\").length === 3")
    clip = np.array(bodies[-1]["inputs"][0])
    assert (clip[1, 3:17, 5:19] == clip[0, 5:19, 5:19]).all()            # 2 pixels up
    want = post(site, "/v1/moving/label", inputs=bodies[-1]["inputs"])[1]["outputs"][0]
    assert frames.evaluate_all("fs => fs.map(f => f.dataset.label)") == want["labels"]
