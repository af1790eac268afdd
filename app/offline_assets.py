"""Fill Solara's CDN cache from the npm registry, so the app works with no internet.

A Solara page loads its front-end (the Vue/Vuetify app shell, require.js, Font Awesome, Mesa's
draggable grid, and vega, vega-lite and vega-embed for the Altair charts) from
``<server>/_solara/cdn/<package>@<version>/<file>``. The Solara server answers those requests
from its cache directory (``solara.server.settings.assets.proxy_cache_dir``, by default
``<venv>/share/solara/cdn``) and only on a miss downloads the file from a public CDN, which
this machine and CI cannot reach. This module downloads the same packages with the npm client
(``npm pack``, from the npm registry) and unpacks each into ``<cache>/<name>@<spec>/``, the
path the page asks for, so there is never a miss.

Usage: ``python -m app.offline_assets`` (what ``make app-assets`` runs; idempotent: a package
already unpacked is skipped, so a second run takes a fraction of a second and needs no
network), ``--check`` to only report what is missing (exit 1 if anything is), ``--cache DIR``
to fill another directory.

Where the list comes from (solara 1.64, the version pyproject.toml pins): the page template
``solara/server/templates/solara.html.j2`` (the Vue 2 app shell for ipyvue 1, require.js, the
Font Awesome css of ``settings.assets.fontawesome_path``), ``solara/widgets/vue/gridlayout.vue``
(Mesa's draggable grid), ``solara/widgets/vue/vegalite.vue`` (Altair charts: ``vega@5``,
``vega-lite@5``, ``vega-embed@6``, semver ranges that npm resolves as the CDN does) and
``solara/components/markdown.py`` (every ``solara.Markdown`` loads mermaid and KaTeX).
:func:`referenced_specs` reads those files, and tests/test_app.py checks the list against
them, so a Solara upgrade that moves a version fails a test instead of breaking the page.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MARKER = ".cbec-offline.json"  # written last into each unpacked package
NPM_TIMEOUT_S = 900  # one `npm pack`; generous, a slow machine is not an error
NPM_TRIES = 3


@dataclass(frozen=True)
class Package:
    spec: str  # exactly as in the page's URLs: name@version or name@range
    needed: tuple[str, ...]  # files the page requests, relative to the package root
    why: str
    # (file the page may request, file of the package to copy it from): the CDN minifies
    # on the fly, npm packages do not always ship the minified file
    copies: tuple[tuple[str, str], ...] = ()


PACKAGES: tuple[Package, ...] = (
    Package("@widgetti/solara-vuetify-app@10.1.1",
            ("dist/solara-vuetify-app8.min.js", "dist/solara-vuetify-app8.js", "dist/main8.css",
             "dist/fonts.css"),
            "the page shell (Vue 2, Vuetify 2, ipywidgets 8): solara.html.j2"),
    Package("requirejs@2.3.6", ("require.js", "require.min.js"),
            "module loader: solara.html.j2, gridlayout.vue, vegalite.vue, markdown.py",
            copies=(("require.min.js", "require.js"),)),
    Package("font-awesome@4.5.0", ("css/font-awesome.min.css",),
            "icons: settings.assets.fontawesome_path"),
    Package("@widgetti/vue-grid-layout@2.3.13-alpha.2", ("dist/vue-grid-layout.umd.js",),
            "Mesa's draggable component grid: gridlayout.vue"),
    Package("vega@5", ("build/vega.min.js",), "Altair charts: vegalite.vue"),
    Package("vega-lite@5", ("build/vega-lite.min.js",), "Altair charts: vegalite.vue"),
    Package("vega-embed@6", ("build/vega-embed.min.js",), "Altair charts: vegalite.vue"),
    Package("mermaid@10.8.0", ("dist/mermaid.min.js",),
            "diagrams in solara.Markdown (loaded by every Markdown): markdown.py"),
    Package("katex@0.16.9",
            ("dist/katex.min.js", "dist/katex.min.css", "dist/contrib/auto-render.min.js"),
            "maths in solara.Markdown: markdown.py"),
)

# A package spec in a CDN URL of solara's sources: {{cdn}}/SPEC/... or ${this.getCdn()}/SPEC/...
_SPEC_IN_URL = re.compile(
    r"(?:\{\{\s*cdn\s*\}\}|\$\{this\.getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+@[\w.^~-]+)/")


def cache_dir() -> Path:
    """The directory the Solara server reads its CDN cache from (this interpreter's setting:
    ``SOLARA_ASSETS_PROXY_CACHE_DIR`` or ``<sys.prefix>/share/solara/cdn``)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def referenced_specs() -> set[str]:
    """Package specs that the page template (Vue 2 branch), the grid and the Altair widget of
    the installed solara request from the CDN."""
    import solara

    root = Path(solara.__file__).parent
    specs: set[str] = set()
    template = (root / "server" / "templates" / "solara.html.j2").read_text(encoding="utf-8")
    specs |= {s for s in _SPEC_IN_URL.findall(template) if "vuetify3" not in s}
    for path in (root / "widgets" / "vue" / "gridlayout.vue",
                 root / "widgets" / "vue" / "vegalite.vue", root / "components" / "markdown.py"):
        specs |= set(_SPEC_IN_URL.findall(path.read_text(encoding="utf-8")))
    from solara.server import settings

    fontawesome = settings.assets.fontawesome_path.strip("/").split("/")[0]
    specs.add(fontawesome)
    return specs


def missing(cache: Path | None = None) -> list[str]:
    """Specs not (completely) in the cache."""
    cache = cache_dir() if cache is None else cache
    return [p.spec for p in PACKAGES if not _complete(cache, p)]


def _complete(cache: Path, package: Package) -> bool:
    root = cache / package.spec
    return (root / MARKER).is_file() and all((root / f).is_file() for f in package.needed)


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed; on Debian: apt-get install -y npm")
    return npm


def _pack(spec: str, into: Path) -> Path:
    """``npm pack SPEC`` into ``into``; returns the tarball. Retries, with generous timeouts."""
    cmd = [_npm(), "pack", spec, "--silent", "--pack-destination", str(into),
           "--fetch-retries", "4", "--fetch-timeout", "300000"]
    last = ""
    for attempt in range(NPM_TRIES):
        if attempt:
            time.sleep(5 * attempt)
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=NPM_TIMEOUT_S,
                                 check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            last = f"npm pack {spec} took longer than {NPM_TIMEOUT_S} s"
            continue
        tarballs = sorted(into.glob("*.tgz"))
        if out.returncode == 0 and len(tarballs) == 1:
            return tarballs[0]
        last = (out.stderr or out.stdout).strip()[-2000:]
    raise RuntimeError(f"could not download {spec} from the npm registry: {last}")


def _unpack(tarball: Path, dest: Path) -> str:
    """Unpack an npm tarball (its files sit under one top folder, usually ``package/``) into
    ``dest``; returns the package version from its package.json."""
    with tarfile.open(tarball, "r:gz") as tar:
        members = []
        for m in tar.getmembers():
            parts = m.name.split("/", 1)
            if len(parts) < 2 or not parts[1] or not (m.isfile() or m.isdir()):
                continue
            m.name = parts[1]
            members.append(m)
        tar.extractall(dest, members=members, filter="data")
    meta = json.loads((dest / "package.json").read_text(encoding="utf-8"))
    return str(meta.get("version", ""))


def install(package: Package, cache: Path) -> str:
    """Download and unpack one package into ``cache/<spec>``; returns its version."""
    target = cache / package.spec
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cbec-npm-", dir=target.parent) as tmp:
        tmp = Path(tmp)
        tarball = _pack(package.spec, tmp)
        unpacked = tmp / "unpacked"
        version = _unpack(tarball, unpacked)
        for name, source in package.copies:
            if not (unpacked / name).is_file() and (unpacked / source).is_file():
                shutil.copyfile(unpacked / source, unpacked / name)
        absent = [f for f in package.needed if not (unpacked / f).is_file()]
        if absent:
            raise RuntimeError(f"{package.spec} {version} from npm lacks {', '.join(absent)}")
        # Move file by file: files Solara cached itself before (from a CDN) may already be
        # there, and a reader never sees a half-written file (os.replace is atomic).
        for src in sorted(unpacked.rglob("*")):
            if src.is_dir():
                continue
            dst = target / src.relative_to(unpacked)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
        (target / MARKER).write_text(json.dumps({"spec": package.spec, "version": version,
                                                  "source": "npm registry"}) + "\n",
                                     encoding="utf-8")
    return version


def fill(cache: Path | None = None, log=print) -> int:
    """Install every missing package; returns how many were installed."""
    cache = cache_dir() if cache is None else cache
    todo = [p for p in PACKAGES if not _complete(cache, p)]
    for package in todo:
        log(f"offline assets: {package.spec} ({package.why}) ...")
        version = install(package, cache)
        log(f"offline assets: {package.spec} -> {version} in {cache / package.spec}")
    return len(todo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.offline_assets",
        description="Fill Solara's CDN cache from the npm registry (for the app offline).")
    parser.add_argument("--check", action="store_true",
                        help="only report missing packages; exit 1 if any")
    parser.add_argument("--cache", type=Path, help="cache directory (default: Solara's)")
    args = parser.parse_args(argv)
    cache = args.cache or cache_dir()
    if args.check:
        absent = missing(cache)
        for spec in absent:
            print(f"missing: {spec}")
        print(f"{cache}: {'complete' if not absent else f'{len(absent)} missing'}")
        return 1 if absent else 0
    try:
        n = fill(cache)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"offline assets: {cache} complete ({n} downloaded now)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
