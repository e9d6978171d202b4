"""Golden trees: each example cluster file renders exactly the reviewed files under golden/<example>/.

PKI material is random, so keys and certificates are not compared (tests/render/test_pki.py covers them);
the kubeadm discovery hash derived from the CA is masked. Regenerate after a reviewed change with
UPDATE_GOLDEN=1 python -m pytest tests/render/test_golden.py
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from provisioner.cluster.load import load_topology
from provisioner.render import render
from provisioner.render.secrets import KEEPALIVED_AUTH_PASS
from tests.conftest import EXAMPLES

GOLDEN = Path(__file__).parent / "golden"
EXAMPLE_NAMES = ["lab-stacked", "lab-external", "servers-example"]
_CA_HASH = re.compile(r"sha256:[0-9a-f]{64}")


def _comparable(out: Path) -> dict[str, str]:
    files = {}
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out).as_posix()
        if path.is_file() and not relative.startswith(("pki/", "secrets/")):
            files[relative] = _CA_HASH.sub("sha256:<kubernetes-ca-hash>", path.read_text())
    return files


def _render_example(name: str, out: Path) -> Path:
    topology, _ = load_topology(EXAMPLES / name / "cluster.yaml")
    render(topology, out)
    if (out / KEEPALIVED_AUTH_PASS).is_file():
        # A fixed VRRP password keeps the tree comparable; render reuses an existing one.
        (out / KEEPALIVED_AUTH_PASS).write_text("golden01\n")
        render(topology, out)
    return out


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_renders_its_golden_tree(name: str, tmp_path: Path) -> None:
    rendered = _comparable(_render_example(name, tmp_path / "out"))
    golden_dir = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(golden_dir, ignore_errors=True)
        for relative, text in rendered.items():
            (golden_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (golden_dir / relative).write_text(text)
        pytest.skip("golden files regenerated: review git diff")
    golden = {p.relative_to(golden_dir).as_posix(): p.read_text() for p in sorted(golden_dir.rglob("*")) if p.is_file()}
    assert sorted(rendered) == sorted(golden)
    for relative, text in golden.items():
        assert rendered[relative] == text, f"{name}/{relative} differs from the golden file"
