"""Time actsearch's trainer against scikit-learn's MLPClassifier and PyTorch (CPU).

The same network on the same training rows, 50 epochs, batch 32, Adam at
lr 1e-3, early stopping off, one BLAS thread, float32.  Each timing is the best of
--repeats interleaved runs; ratios are actsearch / MLPClassifier.

With ``--arch resmlp`` or ``--norm``, the network is actsearch's proxy
(:mod:`actsearch.architectures`) and the reference is PyTorch with the same
architecture (resmlp: the torch backend's ``resmlp`` model with that norm; the
norm MLP: Linear -> Norm -> activation); ratios are actsearch / torch with the
same activation.  ``--norm`` takes a list, so one run times several.

    python bench/bench_trainer.py            # both datasets
    python bench/bench_trainer.py --repeats 5
    python bench/bench_trainer.py --arch resmlp --norm layer,batch --repeats 3
"""

from __future__ import annotations

import argparse
import time
import warnings

from threadpoolctl import threadpool_limits

from actsearch.datasets import load_dataset
from actsearch.networks import TrainConfig, Trainer

NETWORKS = {"digits": (128, 64), "breast_cancer": (128, 64)}


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def sklearn_fit(data, hidden, epochs, batch):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", solver="adam", batch_size=batch,
                        learning_rate_init=1e-3, max_iter=epochs, tol=0.0, n_iter_no_change=10 ** 6,
                        shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(data.X_train, data.y_train)
    assert clf.n_iter_ == epochs
    return clf


def torch_model(n_in, hidden, n_out, activation, arch="mlp", norm=None):
    """The torch network of actsearch's ``TrainConfig(hidden, arch, norm)``."""
    import torch

    if arch == "resmlp":
        from actsearch.torch_backend.models import resmlp

        return resmlp(activation, n_in, n_out, width=hidden[0], blocks=len(hidden), norm=norm)
    sizes = (n_in, *hidden)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b)]
        if norm:
            layers += [torch.nn.BatchNorm1d(b) if norm == "batch" else torch.nn.LayerNorm(b)]
        layers += [activation()]
    return torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], n_out))


def torch_fit(data, hidden, epochs, batch, activation, arch="mlp", norm=None):
    import torch

    torch.manual_seed(0)
    X = torch.tensor(data.X_train, dtype=torch.float32)
    n_out = data.n_outputs
    y = torch.tensor(data.y_train, dtype=torch.long if n_out > 1 else torch.float32)
    model = torch_model(X.shape[1], hidden, n_out, activation, arch, norm)
    model.train()
    loss_fn = torch.nn.CrossEntropyLoss() if n_out > 1 else torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        perm = torch.randperm(len(X))
        for lo in range(0, len(X), batch):
            idx = perm[lo:lo + batch]
            opt.zero_grad()
            out = model(X[idx])
            loss = loss_fn(out, y[idx]) if n_out > 1 else loss_fn(out[:, 0], y[idx])
            loss.backward()
            opt.step()


def time_runs(runs: dict, repeats: int) -> dict:
    """The best time of each run over ``repeats`` interleaved rounds: a slow spell on a shared machine hits
    every implementation alike instead of one of them."""
    times = {label: [] for label in runs}
    for _ in range(repeats):
        for label, run in runs.items():
            times[label].append(best_of(run, 1))
    return {label: min(ts) for label, ts in times.items()}


def bench_mlp(data, hidden, args, torch) -> None:
    """The plain MLP against scikit-learn's MLPClassifier and torch."""
    cfg = TrainConfig(hidden=hidden, epochs=args.epochs, batch_size=32, lr=1e-3, early_stopping=False)
    trainers = {expr: Trainer(expr, data, cfg) for expr in ("relu(x)", "x*sigmoid(x)")}
    runs = {"sklearn MLPClassifier (relu)": lambda: sklearn_fit(data, hidden, args.epochs, 32)}
    for expr, trainer in trainers.items():
        runs[f"actsearch {expr}"] = lambda trainer=trainer: trainer.fit(0)
    runs["actsearch x*sigmoid(x), 5 seeds"] = lambda: [trainers["x*sigmoid(x)"].fit(s) for s in range(5)]
    if torch is not None:
        for label, act in (("torch relu", torch.nn.ReLU), ("torch silu", torch.nn.SiLU)):
            runs[label] = lambda act=act: torch_fit(data, hidden, args.epochs, 32, act)
    best = time_runs(runs, args.repeats)
    t_sk = best["sklearn MLPClassifier (relu)"]
    for label, seconds in best.items():
        print(f"  {label:34s} {seconds:7.3f} s   {seconds / t_sk:5.2f}x sklearn")
    one, five = best["actsearch x*sigmoid(x)"], best["actsearch x*sigmoid(x), 5 seeds"]
    print(f"  5 seeds / (5 x one seed) = {five / (5 * one):.2f}")


def bench_proxy(data, hidden, args, norm, torch) -> None:
    """actsearch's norm MLP or resmlp against torch with the same architecture, per activation."""
    cfg = TrainConfig(hidden=hidden, epochs=args.epochs, batch_size=32, lr=1e-3, early_stopping=False,
                      arch=args.arch, norm=norm)
    pairs = (("relu(x)", "relu", "ReLU"), ("x*sigmoid(x)", "silu", "SiLU"))
    runs = {}
    for expr, name, module in pairs:
        trainer = Trainer(expr, data, cfg)
        runs[f"actsearch {expr}"] = lambda trainer=trainer: trainer.fit(0)
        if torch is not None:
            act = getattr(torch.nn, module)
            runs[f"torch {name}"] = lambda act=act: torch_fit(data, hidden, args.epochs, 32, act, args.arch, norm)
    best = time_runs(runs, args.repeats)
    for expr, name, _ in pairs:
        ours, theirs = best[f"actsearch {expr}"], best.get(f"torch {name}")
        ratio = f"   {ours / theirs:5.2f}x torch {name}" if theirs else ""
        print(f"  {'actsearch ' + expr:34s} {ours:7.3f} s{ratio}")
        if theirs:
            print(f"  {'torch ' + name:34s} {theirs:7.3f} s")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--datasets", default="digits,breast_cancer")
    parser.add_argument("--arch", choices=("mlp", "resmlp"), default="mlp")
    parser.add_argument("--norm", default="none", help="none, batch, layer, or a comma-separated list of them")
    parser.add_argument("--hidden", default=None,
                        help="hidden sizes (default: 128,64 for the mlp, 64,64 for resmlp: width 64, two blocks)")
    args = parser.parse_args(argv)
    norms = [None if n.strip() == "none" else n.strip() for n in args.norm.split(",")]
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    with threadpool_limits(1):
        for name in args.datasets.split(","):
            data = load_dataset(name, seed=0)
            hidden = tuple(int(h) for h in args.hidden.split(",")) if args.hidden else \
                (64, 64) if args.arch == "resmlp" else NETWORKS[name]
            shape = "-".join(map(str, (data.n_features, *hidden, data.n_outputs)))
            for norm in norms:
                what = "" if args.arch == "mlp" and norm is None else f", arch {args.arch}, norm {norm}"
                print(f"\n{name}: {shape}{what}, {len(data.y_train)} training rows, {args.epochs} epochs, "
                      "batch 32, 1 thread")
                if what:
                    bench_proxy(data, hidden, args, norm, torch)
                else:
                    bench_mlp(data, hidden, args, torch)


if __name__ == "__main__":
    main()
