#!/usr/bin/env python3
"""Dump a fitted sklearn.ensemble.IsolationForest to jobctl's model file.

The format is docs/MODEL-FORMAT.md (little-endian binary of every tree's
children_left/right, feature, n_node_samples and threshold, plus the
forest's max_samples_, offset_ and contamination). Tree feature indexes are
mapped through estimators_features_ when sklearn trained the trees on a
feature subset, so the file always holds global column indexes.

Usage:
    export_sklearn_iforest.py MODEL.pkl OUT.jcif   (pickle or joblib file)
or from Python:
    from export_sklearn_iforest import export; export(model, "out.jcif")
Runs with Debian 12's python3-sklearn 1.2.1 (standard library + sklearn).
"""
import pickle
import struct
import sys

MAGIC = b"JCIFRST\n"
VERSION = 1


def export_bytes(model):
    est = model.estimators_
    feats = model.estimators_features_
    n_features = int(model.n_features_in_)
    subsample = int(model._max_features) != n_features
    contamination = model.contamination
    if contamination == "auto":
        contamination = -1.0
    out = [MAGIC,
           struct.pack("<IIII", VERSION, n_features, len(est),
                       int(model.max_samples_)),
           struct.pack("<dd", float(model.offset_), float(contamination)),
           struct.pack("<IIII", 0, 0, 0, 0)]
    for tree, fidx in zip(est, feats):
        t = tree.tree_
        n = int(t.node_count)
        out.append(struct.pack("<I", n))
        left = t.children_left
        right = t.children_right
        feature = t.feature
        thr = t.threshold
        nns = t.n_node_samples
        parts = []
        for i in range(n):
            lft = int(left[i])
            if lft == -1:
                f = -1
            else:
                f = int(feature[i])
                if subsample:
                    f = int(fidx[f])
            parts.append(struct.pack("<iiiId", lft, int(right[i]), f,
                                     int(nns[i]), float(thr[i])))
        out.append(b"".join(parts))
    return b"".join(out)


def export(model, path):
    data = export_bytes(model)
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: export_sklearn_iforest.py MODEL.pkl OUT\n")
        return 2
    try:
        import joblib  # noqa: F401  (sklearn depends on it)
        model = joblib.load(argv[1])
    except Exception:  # plain pickle
        with open(argv[1], "rb") as fh:
            model = pickle.load(fh)
    cls = type(model).__name__
    if cls != "IsolationForest":
        sys.stderr.write("export_sklearn_iforest: '%s' holds a %s, "
                         "not an IsolationForest\n" % (argv[1], cls))
        return 1
    n = export(model, argv[2])
    sys.stderr.write("wrote %s (%d bytes, %d trees)\n"
                     % (argv[2], n, len(model.estimators_)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
