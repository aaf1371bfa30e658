"""Train a fraud model in Python on a `beamline features export` file and write it as ONNX (#23).

    scripts/mlserver python scripts/training/train_gbm.py train.parquet|train.csv model.onnx [--seed 1]

Reads the feature columns between `event_time_ms` and `label` (the model's input order, as the
worker computes them), fits scikit-learn's GradientBoostingClassifier on the labelled rows,
converts it with skl2onnx and keeps one output: P(fraud) as [batch, 1], the shape
`beamline model push` checks against the namespace's feature schema. Prints a JSON summary.
"""
import argparse
import json
import sys

import numpy as np
import onnx
from onnx import helper, TensorProto
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingClassifier


def load(path):
    if path.endswith(".parquet"):
        return load_parquet(path)
    with open(path, newline="") as f:
        header = f.readline().rstrip("\n").split(",")
        first = header.index("event_time_ms") + 1
        last = header.index("label")
        names = header[first:last]
        xs, ys = [], []
        for line in f:
            cells = line.rstrip("\n").split(",")
            # event_id and key never hold commas in the exports this reads (quoted cells would).
            label = cells[last]
            if label == "":
                continue
            xs.append([float(c) for c in cells[first:last]])
            ys.append(int(label))
    return names, np.asarray(xs, dtype=np.float32), np.asarray(ys, dtype=np.int64)


def load_parquet(path):
    """The same columns, typed: float64 features, int32 label (null when unlabelled)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    cols = table.column_names
    names = cols[cols.index("event_time_ms") + 1 : cols.index("label")]
    labels = table.column("label").to_pylist()
    keep = [i for i, v in enumerate(labels) if v is not None]
    features = [table.column(n).to_numpy() for n in names]
    xs = np.stack(features, axis=1)[keep] if names else np.zeros((len(keep), 0))
    return names, np.asarray(xs, dtype=np.float32), np.asarray([labels[i] for i in keep], dtype=np.int64)


def single_output(model_proto, n_features):
    """skl2onnx gives `label` and `probabilities` [N, 2]; keep P(class 1) as `fraud` [N, 1]."""
    g = model_proto.graph
    probs = next(o for o in g.output if o.name == "probabilities")
    g.node.append(helper.make_node("Constant", [], ["fraud_col"], value=helper.make_tensor("c", TensorProto.INT64, [1], [1])))
    g.node.append(helper.make_node("Gather", [probs.name, "fraud_col"], ["fraud"], axis=1))
    del g.output[:]
    g.output.append(helper.make_tensor_value_info("fraud", TensorProto.FLOAT, [None, 1]))
    onnx.checker.check_model(model_proto)
    return model_proto


def main():
    p = argparse.ArgumentParser()
    p.add_argument("table", help="a features export: .parquet or .csv")
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--estimators", type=int, default=150)
    a = p.parse_args()
    names, x, y = load(a.table)
    if len(y) == 0 or y.sum() == 0 or y.sum() == len(y):
        print(f"train_gbm: {a.table} needs labelled rows of both classes (got {len(y)} rows, {int(y.sum())} fraud)", file=sys.stderr)
        return 2
    clf = GradientBoostingClassifier(n_estimators=a.estimators, max_depth=3, learning_rate=0.1, random_state=a.seed)
    clf.fit(x, y)
    proto = to_onnx(clf, x[:1], target_opset=17, options={id(clf): {"zipmap": False}})
    proto = single_output(proto, len(names))
    with open(a.out, "wb") as f:
        f.write(proto.SerializeToString())
    print(json.dumps({"rows": int(len(y)), "frauds": int(y.sum()), "features": names, "train_accuracy": float(clf.score(x, y)), "out": a.out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
