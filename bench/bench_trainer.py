"""Time actsearch's trainer against scikit-learn's MLPClassifier and PyTorch (CPU).

The same network on the same training rows, 50 epochs, batch 32, Adam at
lr 1e-3, early stopping off, one BLAS thread.  Each timing is the best of
--repeats interleaved runs; ratios are actsearch / MLPClassifier.

    python bench/bench_trainer.py            # both datasets
    python bench/bench_trainer.py --repeats 5
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


def torch_fit(data, hidden, epochs, batch, activation):
    import torch

    torch.manual_seed(0)
    X = torch.tensor(data.X_train, dtype=torch.float32)
    n_out = data.n_outputs
    y = torch.tensor(data.y_train, dtype=torch.long if n_out > 1 else torch.float32)
    sizes = (X.shape[1], *hidden)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), activation()]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], n_out))
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--datasets", default="digits,breast_cancer")
    args = parser.parse_args(argv)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    with threadpool_limits(1):
        for name in args.datasets.split(","):
            data = load_dataset(name, seed=0)
            hidden = NETWORKS[name]
            cfg = TrainConfig(hidden=hidden, epochs=args.epochs, batch_size=32, lr=1e-3, early_stopping=False)
            shape = "-".join(map(str, (data.n_features, *hidden, data.n_outputs)))
            print(f"\n{name}: {shape}, {len(data.y_train)} training rows, {args.epochs} epochs, batch 32, 1 thread")
            trainers = {expr: Trainer(expr, data, cfg) for expr in ("relu(x)", "x*sigmoid(x)")}
            runs = {"sklearn MLPClassifier (relu)": lambda: sklearn_fit(data, hidden, args.epochs, 32)}
            for expr, trainer in trainers.items():
                runs[f"actsearch {expr}"] = lambda trainer=trainer: trainer.fit(0)
            runs["actsearch x*sigmoid(x), 5 seeds"] = lambda: [trainers["x*sigmoid(x)"].fit(s) for s in range(5)]
            if torch is not None:
                for label, act in (("torch relu", torch.nn.ReLU), ("torch silu", torch.nn.SiLU)):
                    runs[label] = lambda act=act: torch_fit(data, hidden, args.epochs, 32, act)
            # Interleaved repeats: a slow spell on a shared machine hits every
            # implementation alike instead of one of them.
            times = {label: [] for label in runs}
            for _ in range(args.repeats):
                for label, run in runs.items():
                    times[label].append(best_of(run, 1))
            t_sk = min(times["sklearn MLPClassifier (relu)"])
            rows = [(label, min(ts)) for label, ts in times.items()]
            for label, seconds in rows:
                print(f"  {label:34s} {seconds:7.3f} s   {seconds / t_sk:5.2f}x sklearn")
            one, five = dict(rows)["actsearch x*sigmoid(x)"], dict(rows)["actsearch x*sigmoid(x), 5 seeds"]
            print(f"  5 seeds / (5 x one seed) = {five / (5 * one):.2f}")


if __name__ == "__main__":
    main()
