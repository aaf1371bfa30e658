"""A small scikit-learn classifier for the remote-model tests and benchmark (#25).

Deterministic: the data and the model are seeded. Writes, into OUT_DIR:
  model.joblib          the fitted MLPClassifier (what MLServer serves)
  model-settings.json   MLServer's settings for it (name, sklearn runtime, input/output tensors)
  model.onnx            the same model compiled by skl2onnx, cut to one output: P(class 1), [N, 1]
  reference.json        a few rows and their predict_proba, to check both servings agree
"""
import argparse
import json
import os
import warnings

import joblib
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out_dir")
    p.add_argument("--features", type=int, default=4)
    p.add_argument("--name", default="fraud")
    p.add_argument("--version", default="v1")
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)

    rng = np.random.RandomState(a.seed)
    x = rng.rand(2000, a.features).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 1.0).astype(np.int64)
    model = MLPClassifier(hidden_layer_sizes=(a.hidden,), max_iter=400, random_state=a.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    joblib.dump(model, os.path.join(a.out_dir, "model.joblib"))

    settings = {
        "name": a.name,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib", "version": a.version},
        "inputs": [{"name": "input-0", "datatype": "FP32", "shape": [-1, a.features]}],
        "outputs": [{"name": "predict_proba", "datatype": "FP64", "shape": [-1, 2]}],
    }
    with open(os.path.join(a.out_dir, "model-settings.json"), "w") as f:
        json.dump(settings, f, indent=2)

    probe = x[:8]
    reference = {"rows": probe.tolist(), "predict_proba": model.predict_proba(probe).tolist()}
    with open(os.path.join(a.out_dir, "reference.json"), "w") as f:
        json.dump(reference, f)

    write_onnx(model, a.features, os.path.join(a.out_dir, "model.onnx"))


def write_onnx(model, features: int, path: str) -> None:
    """skl2onnx gives (label, probabilities); Beamline's in-process runtime takes one output."""
    from onnx import TensorProto, helper
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    onx = to_onnx(model, initial_types=[("input", FloatTensorType([None, features]))], options={id(model): {"zipmap": False}}, target_opset=17)
    g = onx.graph
    probs = next(o.name for o in g.output if "prob" in o.name)
    for name, vals in (("bl_starts", [1]), ("bl_ends", [2]), ("bl_axes", [1])):
        g.initializer.append(helper.make_tensor(name, TensorProto.INT64, [1], vals))
    g.node.append(helper.make_node("Slice", [probs, "bl_starts", "bl_ends", "bl_axes"], ["score"], name="bl_positive_class"))
    del g.output[:]
    g.output.append(helper.make_tensor_value_info("score", TensorProto.FLOAT, [None, 1]))
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())


if __name__ == "__main__":
    main()
