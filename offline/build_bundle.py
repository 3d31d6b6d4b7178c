"""Build the offline install bundles (issue 18): one folder and one zip per target system and Python version,
holding the xueji wheel, every dependency's wheel at the versions requirements.lock pins (the install the tests
ran), pip itself, the install scripts for that system and a manifest (versions, sizes, sha256).

    make bundle                                   # every target: Windows x86-64 and Linux x86-64, Python 3.11–3.13
    .venv/bin/python offline/build_bundle.py --target windows --python 3.11
    .venv/bin/python offline/build_bundle.py --target linux --python 3.11 --no-zip --out /tmp/b
    .venv/bin/python offline/build_bundle.py --python-installer python-3.11.9-amd64.exe   # put Python in too

Run on a connected machine with the developer environment (make setup): wheels are downloaded from the package
index by platform tag (``pip download --only-binary=:all: --platform …``), so the Windows bundle builds on Linux.
A dependency with no wheel for a target, or one the lock does not pin, stops the build naming it. Downloads are
kept in build/offline-wheels/ (reused by the next build); a pin changed in requirements.lock is downloaded anew.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATES = HERE / "templates"
LOCK = ROOT / "requirements.lock"
# What a user's install gets: the reports, the dashboards and JupyterLab. Spark (pyspark, 300 MB, and a Java
# runtime) is for a server, not a clerk's PC: --extras all adds it.
DEFAULT_EXTRAS = "reports,dashboard,lab"
# The Pythons we support (pyproject: requires-python >= 3.11), each with the lowest patch release every pinned
# wheel accepts (soupsieve 4.x asks for 3.11.5).
PYTHONS = {"3.11": "3.11.5", "3.12": "3.12.0", "3.13": "3.13.0"}
# Linux: glibc 2.28 or newer (Kylin V10, UOS 20, CentOS/RHEL 8, Debian 10, Ubuntu 20.04 and later): pip takes
# a wheel whose manylinux tag names any glibc up to that, so every such tag is listed.
LINUX_GLIBC = (2, 28)


@dataclass(frozen=True)
class Target:
    name: str  # windows | linux
    platforms: tuple[str, ...]
    label: str  # in the folder name

    @property
    def system(self) -> str:
        return "Windows x86-64" if self.name == "windows" else "Linux x86-64"


def _linux_tags() -> tuple[str, ...]:
    tags = [f"manylinux_2_{m}_x86_64" for m in range(LINUX_GLIBC[1], 4, -1)]
    return (*tags, "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64")


TARGETS = {
    "windows": Target("windows", ("win_amd64",), "windows-x86_64"),
    "linux": Target("linux", _linux_tags(), "linux-x86_64"),
}


class BundleError(Exception):
    pass


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path = LOCK) -> dict[str, str]:
    """requirements.lock's pins: normalised name → version."""
    pins = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^;\s]+)(\s*;.*)?", line)
        if not m:
            raise BundleError(f"requirements.lock: cannot read the line {line!r} (expected name==version)")
        pins[norm(m.group(1))] = m.group(2)
    return pins


def wheel_name_version(filename: str) -> tuple[str, str]:
    parts = filename[:-4].split("-")
    return norm(parts[0]), parts[1]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pip(*args: str, quiet: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"] + (["--quiet"] if quiet else [])
    return subprocess.run(cmd, capture_output=True, text=True)


def build_wheel(work: Path) -> Path:
    """The xueji wheel of this checkout (setuptools from the developer environment, nothing downloaded)."""
    out = work / "xueji-wheel"
    r = pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT))
    if r.returncode:
        raise BundleError(f"building the xueji wheel failed:\n{r.stderr[-3000:]}")
    (wheel,) = out.glob("xueji_lib-*.whl")
    return wheel


def missing_wheel(stderr: str) -> str | None:
    """The requirement pip found no wheel for, from its error message."""
    m = re.search(r"No matching distribution found for (\S+)", stderr) or re.search(
        r"Could not find a version that satisfies the requirement (\S+)", stderr
    )
    if m:
        return m.group(1)
    m = re.search(r"some packages in these conflicts have no matching distributions[^\n]*\n\s+(\S+)", stderr)
    return m.group(1) if m else None


def _pip_target_args(target: Target, python: str) -> list[str]:
    platform_args = [a for p in target.platforms for a in ("--platform", p)]
    return ["--only-binary=:all:", *platform_args, "--python-version", PYTHONS[python], "--implementation", "cp"]


def resolve(target: Target, python: str, wheel: Path, extras: str, cache: Path) -> list[dict]:
    """What installing the xueji wheel with ``extras`` takes on ``target`` under ``python``, resolved by pip against
    the lock's pins without downloading the wheels (their metadata only): pip's report entries, xueji's left out.
    BundleError naming the package when one has no wheel there or is not pinned by the lock."""
    cache.mkdir(parents=True, exist_ok=True)
    report = cache / f"report-{target.name}-{python}.json"
    r = pip(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--target",
        str(cache / "_dry"),
        "--report",
        str(report),
        *_pip_target_args(target, python),
        "-c",
        str(LOCK),
        f"{wheel}[{extras}]",
    )
    if r.returncode:
        name = missing_wheel(r.stderr)
        raise BundleError(
            (f"{target.system}, Python {python}: no wheel for {name}" if name else f"{target.system}, Python {python}")
            + f" — the bundle cannot be built.\npip said:\n{r.stderr[-3000:]}"
        )
    items = json.loads(report.read_text("utf-8"))["install"]
    wanted = [i for i in items if norm(i["metadata"]["name"]) != "xueji-lib"]
    check_pins(target, python, wanted, read_lock())
    return wanted


def _filename(item: dict) -> str:
    return item["download_info"]["url"].rsplit("/", 1)[1].split("#", 1)[0]


def check_pins(target: Target, python: str, wanted: list[dict], pins: dict[str, str]) -> None:
    """Each package a wheel at the version requirements.lock pins, or BundleError naming the first that is not."""
    for item in wanted:
        filename = _filename(item)
        name, version = norm(item["metadata"]["name"]), item["metadata"]["version"]
        if not filename.endswith(".whl"):
            raise BundleError(f"{target.system}, Python {python}: {name} {version} has no wheel ({filename})")
        if pins.get(name) != version:
            raise BundleError(
                f"{target.system}, Python {python}: {name} {version} is not pinned by requirements.lock "
                f"({'pinned ' + pins[name] if name in pins else 'not in the lock'}); add it to the lock so that an "
                "offline install is the install the tests ran"
            )


def download(target: Target, python: str, wheel: Path, extras: str, cache: Path) -> list[Path]:
    """Every wheel the xueji wheel with ``extras`` needs on ``target`` under ``python``, into ``cache`` (kept
    between builds); the list of this target's files."""
    files = []
    for item in resolve(target, python, wheel, extras, cache):
        filename, version = _filename(item), item["metadata"]["version"]
        path = cache / filename
        if not path.exists():
            got = pip(
                "download",
                "--no-deps",
                *_pip_target_args(target, python),
                "-d",
                str(cache),
                f"{item['metadata']['name']}=={version}",
            )
            if got.returncode or not path.exists():
                raise BundleError(
                    f"{target.system}, Python {python}: downloading {filename} failed:\n{got.stderr[-2000:]}"
                )
        files.append(path)
    return files


def pip_wheel(cache: Path) -> Path:
    """The wheel of the pip this environment runs: the installer bootstraps the new environment with it
    (``python -m venv --without-pip`` works where Debian's python3-venv / ensurepip is missing)."""
    import pip as _pip

    name = f"pip-{_pip.__version__}-py3-none-any.whl"
    if not (cache / name).exists():
        r = pip("download", "--no-deps", "--only-binary=:all:", "-d", str(cache), f"pip=={_pip.__version__}")
        if r.returncode:
            raise BundleError(f"downloading pip {_pip.__version__} failed:\n{r.stderr[-2000:]}")
    return cache / name


def write_text(path: Path, text: str, *, windows: bool = False, bom: bool = False) -> None:
    data = text.replace("\r\n", "\n")
    if windows:
        data = data.replace("\n", "\r\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))


def write_scripts(folder: Path, target: Target, python: str, pip_wheel_name: str, extras: str) -> None:
    """The install scripts and 使用说明.txt for ``target`` (templates/, filled in) into ``folder``."""
    from xueji_lib.core.version import __version__

    subst = {
        "@VERSION@": __version__,
        "@PYTHON@": python,
        "@PYTHON_MIN@": PYTHONS[python],
        "@PIP_WHEEL@": pip_wheel_name,
        "@EXTRAS@": extras,
        "@SYSTEM@": target.system,
    }

    def fill(name: str) -> str:
        text = (TEMPLATES / name).read_text("utf-8")
        for k, v in subst.items():
            text = text.replace(k, v)
        return text

    if target.name == "windows":
        # PowerShell 5.1 and Notepad read UTF-8 only with a BOM; cmd.exe reads a .bat in the OEM code page, so the
        # .bat is ASCII and hands everything to install.ps1
        write_text(folder / "install.ps1", fill("install.ps1"), windows=True, bom=True)
        write_text(folder / "安装.bat", fill("install.bat"), windows=True)
        write_text(folder / "使用说明.txt", fill("使用说明.txt"), windows=True, bom=True)
    else:
        write_text(folder / "install.sh", fill("install.sh"))
        (folder / "install.sh").chmod(0o755)
        write_text(folder / "使用说明.txt", fill("使用说明.txt"))


def build_one(
    target: Target,
    python: str,
    wheel: Path,
    extras: str,
    out: Path,
    cache: Path,
    installer: Path | None,
    make_zip: bool,
) -> dict:
    from xueji_lib.core.version import __version__

    started = time.monotonic()
    files = download(target, python, wheel, extras, cache)
    pipw = pip_wheel(cache)
    tag = python.replace(".", "")
    folder = out / f"xueji-{__version__}-{target.label}-py{tag}"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "wheels").mkdir(parents=True)
    for f in [wheel, pipw, *files]:
        shutil.copy2(f, folder / "wheels" / f.name)
    reqs = [f"xueji_lib[{extras}]=={__version__} --hash=sha256:{sha256(wheel)}"]
    for f in sorted(files, key=lambda p: p.name.lower()):
        name, version = wheel_name_version(f.name)
        reqs.append(f"{name}=={version} --hash=sha256:{sha256(f)}")
    write_text(folder / "requirements.txt", "\n".join(reqs) + "\n", windows=target.name == "windows")
    write_scripts(folder, target, python, pipw.name, extras)
    if installer and target.name == "windows":
        (folder / "python").mkdir()
        shutil.copy2(installer, folder / "python" / installer.name)
    entries = []
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            rel = p.relative_to(folder).as_posix()
            name, version = wheel_name_version(p.name) if p.suffix == ".whl" else ("", "")
            entries.append(
                {"file": rel, "package": name, "version": version, "bytes": p.stat().st_size, "sha256": sha256(p)}
            )
    manifest = {
        "xueji": __version__,
        "system": target.system,
        "platform_tags": list(target.platforms),
        "python": python,
        "python_min": PYTHONS[python],
        "extras": extras,
        "built": time.strftime("%Y-%m-%d %H:%M:%S"),
        "packages": sum(1 for e in entries if e["package"]),
        "bytes": sum(e["bytes"] for e in entries),
        "files": entries,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    summary = {"folder": str(folder), "bytes": manifest["bytes"], "packages": manifest["packages"]}
    if make_zip:
        z = folder.parent / f"{folder.name}.zip"
        with zipfile.ZipFile(z, "w") as zf:  # non-ASCII names are stored as UTF-8 (flag bit 11)
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    info = zipfile.ZipInfo.from_file(p, f"{folder.name}/{p.relative_to(folder).as_posix()}")
                    # wheels are zips already: stored as they are; the scripts and the manifest compressed
                    info.compress_type = zipfile.ZIP_STORED if p.suffix == ".whl" else zipfile.ZIP_DEFLATED
                    if p.name == "install.sh":
                        info.external_attr = 0o100755 << 16
                    with open(p, "rb") as src, zf.open(info, "w") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
        summary["zip"], summary["zip_bytes"] = str(z), z.stat().st_size
    summary["seconds"] = round(time.monotonic() - started, 1)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="all", help="windows, linux or all (default)")
    ap.add_argument("--python", default=",".join(PYTHONS), help=f"Python versions (default {','.join(PYTHONS)})")
    ap.add_argument(
        "--extras", default=DEFAULT_EXTRAS, help=f"xueji_lib extras (default {DEFAULT_EXTRAS}; all = + Spark)"
    )
    ap.add_argument("--out", default=str(ROOT / "dist" / "offline"), help="where the bundles go (default dist/offline)")
    ap.add_argument("--cache", default=str(ROOT / "build" / "offline-wheels"), help="downloaded wheels, kept")
    ap.add_argument("--python-installer", help="a python.org Windows installer (.exe) to put in the Windows bundles")
    ap.add_argument("--no-zip", dest="zip", action="store_false", help="folders only")
    args = ap.parse_args(argv)
    targets = list(TARGETS) if args.target == "all" else [t.strip() for t in args.target.split(",")]
    pythons = [p.strip() for p in args.python.split(",")]
    for t in targets:
        if t not in TARGETS:
            ap.error(f"unknown target {t!r}: windows, linux or all")
    for p in pythons:
        if p not in PYTHONS:
            ap.error(f"unsupported Python {p!r}: {', '.join(PYTHONS)}")
    installer = Path(args.python_installer) if args.python_installer else None
    if installer and not (installer.is_file() and installer.suffix.lower() == ".exe"):
        ap.error(f"--python-installer {installer}: not an .exe file")
    out, cache = Path(args.out), Path(args.cache)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = build_wheel(Path(tmp))
            rows = []
            for t in targets:
                for p in pythons:
                    s = build_one(TARGETS[t], p, wheel, args.extras, out, cache / t, installer, args.zip)
                    rows.append((TARGETS[t].system, p, s))
                    size = f"{s['bytes'] / 1e6:.0f} MB" + (f", zip {s['zip_bytes'] / 1e6:.0f} MB" if "zip" in s else "")
                    print(
                        f"{TARGETS[t].system}, Python {p}: {s['packages']} packages, {size}, {s['seconds']} s → {s.get('zip', s['folder'])}"
                    )
    except BundleError as exc:
        print(f"bundle: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
