"""The PyTorch scorer: a candidate trained inside a torch model, with the rows of the NumPy scorer."""

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is optional: pip install actsearch[torch]")

from actsearch.datasets import load_dataset  # noqa: E402
from actsearch.errors import ConfigError  # noqa: E402
from actsearch.expression import parse  # noqa: E402
from actsearch.scoring import Task  # noqa: E402
from actsearch.torch_backend.activation import activation_factory  # noqa: E402
from actsearch.torch_backend.models import model_spec  # noqa: E402
from actsearch.torch_backend.scorer import TorchConfig, TorchScorer  # noqa: E402

FAST = TorchConfig(epochs=4, batch_size=32, lr=3e-3)


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons")


@pytest.mark.parametrize("text, params", [("x * sigmoid(beta * x)", {"beta": 1.5}), ("max(x, sin(x))", {}),
                                          ("log(1 + exp(alpha * x)) / alpha", {"alpha": 0.7})])
def test_the_module_computes_the_expression(text, params):
    expr = parse(text, params=params)
    x = np.linspace(-4, 4, 41)
    module = activation_factory(expr)()
    got = module(torch.tensor(x, dtype=torch.float64).float()).detach().double().numpy()
    np.testing.assert_allclose(got, expr(x), rtol=1e-5, atol=1e-6)


def test_a_learnable_beta_is_trained_and_reported(moons):
    scorer = TorchScorer(moons, TorchConfig(epochs=6, lr=1e-2, learnable=("beta",)), "resmlp")
    fields = scorer.score(Task("x * sigmoid(beta * x)", {"beta": 1.0}, (0, 1)))
    assert fields["status"] == "ok" and 0.5 < fields["val_score"] <= 1.0
    learned = __import__("json").loads(fields["learned"])
    assert len(learned["beta"]) == 2 and all(abs(b - 1.0) > 1e-4 for b in learned["beta"])  # one per block
    frozen = TorchScorer(moons, TorchConfig(epochs=2), "resmlp").score(Task("x * sigmoid(beta * x)", {"beta": 1.0}))
    assert frozen["learned"] == ""  # beta not learnable: nothing trained, nothing reported


def test_a_diverging_activation_is_a_diverged_row_not_a_crash(moons):
    fields = TorchScorer(moons, TorchConfig(epochs=3, lr=10.0), "resmlp").score(Task("exp(exp(x))", {}, (0, 1)))
    assert fields["status"] == "diverged" and fields["reason"]
    assert math.isnan(fields["val_score"]) and math.isnan(fields["test_score"])


def test_the_same_seed_gives_the_same_row(moons):
    scorer = TorchScorer(moons, TorchConfig(epochs=3, learnable=("beta",)), "resmlp")
    rows = [scorer.score(Task("x * sigmoid(beta * x)", {"beta": 1.0}, (3, 4))) for _ in range(2)]
    for row in rows:
        row.pop("train_seconds")
    assert rows[0] == rows[1]
    other = scorer.score(Task("x * sigmoid(beta * x)", {"beta": 1.0}, (5, 6)))
    assert other["val_score"] != rows[0]["val_score"] or other["learned"] != rows[0]["learned"]


def test_the_cnn_trains_on_digits_and_refuses_other_shapes(moons):
    digits = load_dataset("digits")
    fields = TorchScorer(digits, TorchConfig(epochs=2), "cnn").score(Task("relu(x)", {}, (0,)))
    assert fields["status"] == "ok" and fields["test_score"] > 0.5
    with pytest.raises(ConfigError, match="8x8 images"):
        TorchScorer(moons, FAST, "cnn")


def _model_file(tmp_path, body: str):
    path = tmp_path / "my_model.py"
    path.write_text("import torch\nfrom torch import nn\nimport torch.nn.functional as F\n\n" + textwrap.dedent(body))
    return str(path)


def test_replace_swaps_every_activation_module_nested_ones_included(tmp_path, moons):
    path = _model_file(tmp_path, """
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = nn.Sequential(nn.Linear(16, 16), nn.GELU())
                self.act = nn.ReLU()
            def forward(self, x):
                return self.act(self.inner(x)) + x

        def build():
            return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), Block(), nn.Linear(16, 1))
        """)
    spec = model_spec(f"{path}:build", replace=True)
    made = []
    model = spec.build(lambda: made.append(torch.nn.Identity()) or made[-1], 2, 1)
    assert not any(isinstance(m, (torch.nn.ReLU, torch.nn.GELU)) for m in model.modules())
    assert len(made) == 3 and sorted(spec.notes) == ["1 (ReLU)", "2.act (ReLU)", "2.inner.1 (GELU)"]
    fields = TorchScorer(moons, FAST, spec).score(Task("tanh(x)", {}, (0,)))
    assert fields["status"] == "ok"


def test_replace_refuses_a_model_with_only_functional_calls(tmp_path, moons):
    path = _model_file(tmp_path, """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b = nn.Linear(2, 8), nn.Linear(8, 1)
            def forward(self, x):
                return self.b(F.relu(self.a(x)))

        def build():
            return Net()
        """)
    with pytest.raises(ConfigError, match="F.relu") as info:
        TorchScorer(moons, FAST, f"{path}:build", replace_modules=True)
    assert "\n" not in str(info.value) and "activation()" in str(info.value)


def test_the_factory_form_gets_one_module_per_use(tmp_path, moons):
    path = _model_file(tmp_path, """
        def build(activation):
            return nn.Sequential(nn.Linear(2, 8), activation(), nn.Linear(8, 8), activation(), nn.Linear(8, 1))
        """)
    fields = TorchScorer(moons, TorchConfig(epochs=3, learnable=("beta",)), f"{path}:build").score(
        Task("x * sigmoid(beta * x)", {"beta": 1.0}, (0,)))
    assert fields["status"] == "ok" and len(__import__("json").loads(fields["learned"])["beta"]) == 2


@pytest.mark.parametrize("body, spec, fragment", [
    (None, "{tmp}/nothing.py:build", "does not exist"),
    ("def other(activation):\n    return nn.Linear(2, 1)\n", "{path}:build", "no function 'build'"),
    ("def build(activation):\n    return 3\n", "{path}:build", "not a torch.nn.Module"),
    ("def build(activation):\n    return nn.Linear(2, 5)\n", "{path}:build", "output shape (2, 5)"),
    ("raise RuntimeError('boom')\n", "{path}:build", "importing it failed: RuntimeError: boom"),
    (None, "resnet", "expected resmlp, cnn or PATH.py:FUNCTION"),
])
def test_bad_models_are_one_line_errors(tmp_path, moons, body, spec, fragment):
    path = _model_file(tmp_path, body) if body else None
    with pytest.raises(ConfigError) as info:
        TorchScorer(moons, FAST, spec.format(tmp=tmp_path, path=path))
    assert fragment in str(info.value) and "\n" not in str(info.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_one_line_error(moons):
    with pytest.raises(ConfigError, match="CUDA is not available"):
        TorchScorer(moons, TorchConfig(device="cuda"), "resmlp")


def test_without_torch_the_error_says_how_to_install_it():
    code = ("import sys\n"
            "class NoTorch:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'torch' or name.startswith('torch.'):\n"
            "            raise ModuleNotFoundError(\"No module named 'torch'\")\n"
            "sys.meta_path.insert(0, NoTorch())\n"
            "from actsearch.datasets import load_dataset\n"
            "from actsearch.torch_backend import TorchScorer\n"
            "try:\n    TorchScorer(load_dataset('moons'))\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "ConfigError PyTorch is not installed: pip install actsearch[torch]"


TORCH_CLI = [sys.executable, "-m", "actsearch", "search", "--model", "resmlp", "--space", "small", "--budget", "6",
             "--seed", "3", "--dataset", "moons", "--epochs", "8", "--seeds", "1", "--final-k", "1",
             "--final-seeds", "2", "--baselines", "relu", "--no-progress"]


def test_a_search_in_a_torch_model_resumes_after_sigkill(tmp_path):
    import os
    import signal
    import time

    import pandas as pd

    from actsearch.results import load_results

    out = str(tmp_path / "killed")
    path = os.path.join(out, "evaluations.csv")
    proc = subprocess.Popen(TORCH_CLI + ["--out", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        if os.path.exists(path) and open(path).read().count("\n") >= 3:  # header + 2 rows
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = open(path).read()
    before = before[:before.rfind("\n") + 1]
    assert 2 <= before.count("\n") - 1 < 6 + 2  # killed before the end
    resumed = subprocess.run(TORCH_CLI + ["--out", out], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert open(path).read().startswith(before)  # nothing written before the kill changed
    table = load_results(out)
    assert (table["stage"] == "search").sum() == 6 and table["eval_id"].is_unique
    assert (table["stage"] == "final").sum() == 2 and set(table["init"].dropna()) == {"torch"}
    fresh = str(tmp_path / "fresh")
    done = subprocess.run(TORCH_CLI + ["--out", fresh], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    timing = ["train_seconds", "timestamp", "run_id"]
    pd.testing.assert_frame_equal(table.drop(columns=timing), load_results(fresh).drop(columns=timing))


def test_a_bad_model_on_the_command_line_is_one_line_and_writes_nothing(tmp_path, cli, one_line_error):
    import os

    out = tmp_path / "never"
    one_line_error(*cli("search", "--model", str(tmp_path / "missing.py:build"), "--budget", "2",
                        "--out", str(out)), "does not exist")
    assert not os.path.exists(out)
