"""Build one Lambda artifact for `sam build` (BuildMethod: makefile), without Docker.

SAM runs ``make build-<LogicalId>`` with ``ARTIFACTS_DIR`` set (template.yaml: Metadata
BuildMethod makefile, ContextPath and WorkingDirectory "."); the Makefile calls

    build_lambda.py <LogicalId> --out "$ARTIFACTS_DIR"

and this script reads the resource from template.yaml:

- the layer (AWS::Serverless::LayerVersion): ``python/<package>`` from its ContentUri plus the
  runtime dependencies of every function (requirements/runtime.txt);
- a function: the files of its CodeUri plus, when that folder has a requirements.txt, those
  dependencies minus whatever the layer already provides (resolved against the layer's exact
  versions, so the OpenAI SDK in AI_CALL uses the layer's pydantic).

Dependencies are cross-installed by pip for the Lambda platform (manylinux aarch64, CPython of
the runtime's version, binary wheels only, no host bytecode), so any host Python works.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Amazon Linux 2023 (python3.12/3.13 runtimes) has glibc 2.34: every manylinux tag up to it works.
PLATFORMS = ("manylinux_2_28_{arch}", "manylinux2014_{arch}", "manylinux_2_17_{arch}")
LAMBDA_ARCHES = {"arm64": "aarch64", "x86_64": "x86_64"}
ROOT = Path(__file__).resolve().parents[1]
LAYER_REQUIREMENTS = ROOT / "requirements" / "runtime.txt"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "requirements*.txt", "Makefile")


def pip_cross(python_version: str, arch: str) -> list[str]:
    """``pip install`` for the Lambda platform: wheels only, no host bytecode."""
    args = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for platform in PLATFORMS:
        args += ["--platform", platform.format(arch=LAMBDA_ARCHES[arch])]
    return args + [
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        "--no-compile",
        "--no-warn-conflicts",
        "--upgrade",
    ]


def canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def resolve(requirements: Path, python_version: str, arch: str) -> dict[str, str]:
    """The distributions (name -> version) pip would install for ``requirements`` on Lambda."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp, "report.json")
        subprocess.run(
            [
                *pip_cross(python_version, arch),
                "--dry-run",
                "--ignore-installed",
                "--target",
                str(Path(tmp, "target")),
                "--report",
                str(report),
                "-r",
                str(requirements),
            ],
            check=True,
        )
        data = json.loads(report.read_text(encoding="utf-8"))
    return {canonical(i["metadata"]["name"]): i["metadata"]["version"] for i in data["install"]}


def remove_distributions(target: Path, names: set[str]) -> list[str]:
    """Delete the files of the installed distributions ``names`` (by their RECORD) from ``target``."""
    removed = []
    for dist_info in sorted(target.glob("*.dist-info")):
        name = canonical(dist_info.name[: -len(".dist-info")].rsplit("-", 1)[0])
        if name not in names:
            continue
        record = dist_info / "RECORD"
        if record.exists():
            with record.open(encoding="utf-8", newline="") as handle:
                for row in csv.reader(handle):
                    if row and not row[0].startswith(".."):
                        path = target / row[0]
                        if path.is_file() or path.is_symlink():
                            path.unlink()
        shutil.rmtree(dist_info, ignore_errors=True)
        removed.append(name)
    for directory in sorted((p for p in target.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(directory.iterdir()):
            directory.rmdir()
    return removed


def clean(target: Path) -> None:
    """Drop what Lambda never uses: bytecode of the host Python and console scripts."""
    for cache in list(target.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(target / "bin", ignore_errors=True)


def copy_source(source: Path, destination: Path) -> None:
    shutil.copytree(source, destination, ignore=IGNORED, dirs_exist_ok=True)


def build_layer(source: Path, requirements: Path, out: Path, python_version: str, arch: str) -> None:
    site = out / "python"
    site.mkdir(parents=True, exist_ok=True)
    pip = [*pip_cross(python_version, arch), "--target", str(site), "-r", str(requirements)]
    subprocess.run(pip, check=True)
    copy_source(source, site / source.name)
    clean(site)


def build_function(
    source: Path,
    out: Path,
    python_version: str,
    arch: str,
    requirements: Path | None,
    layer_requirements: Path | None,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    copy_source(source, out)
    if requirements is not None:
        layer = resolve(layer_requirements, python_version, arch) if layer_requirements else {}
        with tempfile.TemporaryDirectory() as tmp:
            constraints = Path(tmp, "layer-constraints.txt")
            constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(layer.items())), encoding="utf-8")
            pip = [*pip_cross(python_version, arch), "--target", str(out), "-r", str(requirements)]
            subprocess.run([*pip, "-c", str(constraints)], check=True)
        removed = remove_distributions(out, set(layer))
        if removed:
            print(f"{source}: left to the layer: {', '.join(removed)}")
    clean(out)


def runtime_version(runtime: str) -> str:
    """``python3.12`` -> ``3.12``."""
    if not runtime.startswith("python"):
        raise SystemExit(f"not a Python runtime: {runtime!r}")
    return runtime[len("python") :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("logical_id", help="a function or layer of template.yaml")
    parser.add_argument("--out", type=Path, required=True, help="the ARTIFACTS_DIR sam build gives")
    parser.add_argument("--arch", choices=sorted(LAMBDA_ARCHES), help="override the template's architecture")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from local_stack.template import load_template

    template = load_template(ROOT / "template.yaml")
    resource = template["Resources"].get(args.logical_id)
    if resource is None:
        parser.error(f"{args.logical_id} is not a resource of template.yaml")
    props = resource.get("Properties", {})
    globals_ = template.get("Globals", {}).get("Function", {})
    if resource["Type"] == "AWS::Serverless::LayerVersion":
        runtimes = props.get("CompatibleRuntimes") or [globals_["Runtime"]]
        arches = props.get("CompatibleArchitectures") or globals_.get("Architectures") or ["x86_64"]
        version, arch = runtime_version(runtimes[0]), args.arch or arches[0]
        build_layer(ROOT / props["ContentUri"], LAYER_REQUIREMENTS, args.out, version, arch)
    elif resource["Type"] == "AWS::Serverless::Function":
        source = ROOT / props["CodeUri"]
        requirements = source / "requirements.txt"
        arches = props.get("Architectures") or globals_.get("Architectures") or ["x86_64"]
        build_function(
            source,
            args.out,
            runtime_version(props.get("Runtime") or globals_["Runtime"]),
            args.arch or arches[0],
            requirements if requirements.exists() else None,
            LAYER_REQUIREMENTS,
        )
    else:
        parser.error(f"{args.logical_id} is a {resource['Type']}, not a function or layer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
