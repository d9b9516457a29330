"""Debian's Chromium for the browser tier (浏览器测试): Playwright drives it over CDP (`executable_path`), never a
browser of its own (Playwright's download is not reachable here). Without a CJK font every Chinese character in a
screenshot is an empty box, so `fonts-noto-cjk` is part of what the tier needs.

`python -m tests.browser.chromium` says what is missing and, as root, installs it with apt-get (`make test` runs it
before the tiers); the tier itself fails, naming the reason, when the browser is still missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PACKAGES = ("chromium", "fonts-noto-cjk")


class BrowserMissing(RuntimeError):
    """The browser tier cannot run: what is missing and how to install it."""


def chromium_executable() -> str:
    """The path of Debian's Chromium (`chromium` on PATH, else /usr/bin/chromium)."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
    if not found:
        raise BrowserMissing("the browser tests need Debian's Chromium and a CJK font, and chromium is not installed: "
                             f"run `apt-get install -y {' '.join(PACKAGES)}` as root (`make test` does it when it "
                             "runs as root)")
    return found


def has_cjk_font() -> bool:
    """A font with Chinese glyphs is installed (fontconfig's answer, else the Noto CJK files themselves)."""
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
        return bool(out.strip())
    return any(os.path.isdir(d) for d in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto"))


def missing() -> list[str]:
    """The Debian packages the browser tier still needs."""
    out = []
    try:
        chromium_executable()
    except BrowserMissing:
        out.append("chromium")
    if not has_cjk_font():
        out.append("fonts-noto-cjk")
    return out


def not_ready(root: str | os.PathLike[str] = ".") -> str:
    """Why the browser tier cannot run at all ("" when it can): Debian's Chromium missing, or the web app not built
    (`make test` installs the one and builds the other before the tiers; this names what still failed)."""
    try:
        chromium_executable()
    except BrowserMissing as exc:
        return str(exc)
    if not os.path.isfile(os.path.join(root, "web", "dist", "index.html")):
        return "the web app is not built (web/dist/index.html): `make web` (Node 20.19+ and the npm registry)"
    return ""


def ensure() -> int:
    """Install what is missing with apt-get when running as root; say what it does. Exit 0 when everything is
    there afterwards, 1 otherwise (with the reason)."""
    needed = missing()
    if not needed:
        return 0
    if os.geteuid() != 0:
        print(f"browser tests: {' and '.join(needed)} missing and not root: run "
              f"`sudo apt-get install -y {' '.join(needed)}` (the browser tier fails until then)", flush=True)
        return 1
    print(f"browser tests: installing Debian's {' and '.join(needed)}: apt-get update && "
          f"apt-get install -y {' '.join(needed)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    ok = subprocess.call(["apt-get", "update", "-qq"], env=env) == 0
    ok = ok and subprocess.call(["apt-get", "install", "-y", "-qq", *needed], env=env) == 0
    still = missing()
    if still:
        print(f"browser tests: apt-get could not install {' and '.join(still)} "
              f"({'apt-get failed' if not ok else 'still missing after it'}); the browser tier will fail", flush=True)
        return 1
    print(f"browser tests: installed {' and '.join(needed)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(ensure())
