"""Fixtures shared by several test modules."""

import pytest

import actsearch


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """A real small search with a final stage; its folder holds evaluations.csv and config.yaml (about 2 s)."""
    out = tmp_path_factory.mktemp("runs") / "small-random"
    actsearch.search(space="small", strategy="random", dataset="moons", budget=12, seed=0, out=str(out),
                     hidden=(8,), epochs=3, seeds=2, final_k=3, final_seeds=3, progress=False)
    return out


@pytest.fixture(scope="session")
def run_dir2(tmp_path_factory):
    """A second, shorter run with no final stage."""
    out = tmp_path_factory.mktemp("runs") / "small-random-2"
    actsearch.search(space="small", strategy="random", dataset="moons", budget=6, seed=1, out=str(out),
                     hidden=(8,), epochs=3, seeds=1, final_k=0, baselines=(), progress=False)
    return out
