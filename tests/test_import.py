"""``import actsearch`` stays cheap: the heavy dependencies load only where they are used."""

import json
import os
import subprocess
import sys
from pathlib import Path

import actsearch

HEAVY = ("scipy", "optuna", "deap", "matplotlib", "pandas", "sklearn", "yaml", "tqdm")


def loaded_after(code: str) -> list[str]:
    """The heavy top-level modules in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    script = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    root = str(Path(actsearch.__file__).resolve().parent.parent)  # this checkout's package, not an installed one
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    modules = json.loads(proc.stdout.strip().splitlines()[-1])
    return [m for m in HEAVY if m in modules]


def test_import_loads_no_heavy_dependency():
    assert loaded_after("import actsearch") == []


def test_parsing_compiling_and_evaluating_load_no_heavy_dependency():
    code = (
        "import actsearch\n"
        "f = actsearch.parse('x*sigmoid(x)')\n"
        "assert abs(float(f(0.0))) < 1e-12 and abs(float(f.derivative(0.0)) - 0.5) < 1e-12\n"
        "f.gradients([0.5, 1.0])\n"
        "g = actsearch.parse('max(x, alpha*x) + tanh(beta*x)^2', params={'alpha': 0.1})\n"
        "g.gradients([-1.0, 2.0])\n"
        "str(g.canonical()), g.fingerprint\n"
    )
    assert loaded_after(code) == []


def test_erf_loads_scipy_on_first_use():
    """The probe sees a lazy import when there is one (so the tests above can fail)."""
    assert loaded_after("import actsearch\nactsearch.parse('gelu(x)')(1.0)") == ["scipy"]
