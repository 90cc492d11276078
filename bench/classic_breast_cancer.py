"""The classic Keras tutorial network on breast_cancer, with several activations.

relu (and others), 30-128-64-1, dropout 0.5, He init, Adam, batch 32, 50 epochs,
80/20 split, seeds 0-4.  The published Keras run of this network reports 0.9737.

    python bench/classic_breast_cancer.py
"""

from actsearch.datasets import load_dataset
from actsearch.evaluation import evaluate


def main() -> None:
    data = load_dataset("breast_cancer", val_size=0.0)
    print(f"{'activation':14s} test accuracy (mean ± std over seeds 0-4)")
    for expr in ("relu(x)", "x*sigmoid(x)", "gelu(x)", "tanh(x)", "identity(x)"):
        df = evaluate(expr, data, hidden=(128, 64), dropout=0.5, init="he", epochs=50, batch_size=32,
                      seeds=5, early_stopping=False)
        s = df.attrs["summary"]
        print(f"{expr:14s} {s['test_score_mean']:.4f} ± {s['test_score_std']:.4f}")


if __name__ == "__main__":
    main()
