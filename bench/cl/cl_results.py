#!/usr/bin/env python3
"""Turns the runs of bench/cl/run.sh into the CL-benchmark section of bench/RESULTS.md.

Reads RUN_ROOT/bench.json (written by run.sh: command, order, caps, model, wall times) and
RUN_ROOT/<method>/metrics.json (written by `sculpt continual`), recomputes AA and BWT from each
accuracy matrix and writes one markdown section between the markers below, replacing an earlier one.
The file is written atomically (temporary file in the same folder, then rename). Standard library only.

  python3 bench/cl/cl_results.py RUN_ROOT [--results bench/RESULTS.md] [--print]
  python3 bench/cl/cl_results.py --self-test
"""
import json
import math
import os
import struct
import sys
import tempfile

BEGIN = "<!-- cl-bench:begin -->"
END = "<!-- cl-bench:end -->"
MATRIX_KEYS = ("accuracy", "accuracy_matrix", "acc_matrix", "acc", "a")
TASK_KEYS = ("tasks", "task_names", "taskNames")


def find(obj, keys):
    """The first of keys found at the top level or one level down (metrics may be nested)."""
    if not isinstance(obj, dict):
        return None
    for k in keys:
        if k in obj:
            return obj[k]
    for v in obj.values():
        if isinstance(v, dict):
            for k in keys:
                if k in v:
                    return v[k]
    return None


def square(matrix):
    """The matrix as T x T floats with None where a task was not evaluated (j > i or missing)."""
    t = len(matrix)
    out = []
    for row in matrix:
        row = list(row or [])
        out.append([float(x) if isinstance(x, (int, float)) and not (isinstance(x, float) and math.isnan(x)) else None
                    for x in row[:t]] + [None] * max(0, t - len(row)))
    return out


def average_accuracy(a):
    """AA: mean accuracy over all tasks after the last one was trained."""
    last = [x for x in a[-1] if x is not None]
    return sum(last) / len(last) if last else None


def backward_transfer(a):
    """BWT: mean over tasks j < T of a[T-1][j] - a[j][j] (negative = forgetting); None for one task."""
    t = len(a)
    diffs = [a[t - 1][j] - a[j][j] for j in range(t - 1) if a[t - 1][j] is not None and a[j][j] is not None]
    return sum(diffs) / len(diffs) if diffs else None


def safetensors_parameters(model_dir):
    """Number of parameters, from the safetensors headers (no tensor data read)."""
    files = sorted(f for f in os.listdir(model_dir) if f.endswith(".safetensors")) if os.path.isdir(model_dir) else []
    total = 0
    for f in files:
        with open(os.path.join(model_dir, f), "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(n))
        for name, info in header.items():
            if name != "__metadata__":
                total += math.prod(info["shape"])
    return total if files else None


def tokenizer_description(model_dir):
    path = os.path.join(model_dir, "tokenizer.json")
    if os.path.isfile(path):
        try:
            with open(path) as fh:
                model = json.load(fh).get("model", {})
            kind = model.get("type") or "unknown type"
            return "tokenizer.json (%s, %d entries)" % (kind, len(model.get("vocab", {}) or {}))
        except (ValueError, OSError):
            return "tokenizer.json (unreadable)"
    others = [f for f in sorted(os.listdir(model_dir)) if "token" in f.lower()] if os.path.isdir(model_dir) else []
    return ", ".join(others) if others else "none found in the model folder"


def chance_levels(data_dir, tasks):
    """1 / number of labels per task, from DATA/FAMILY/TASK/labels.json (names case-insensitive)."""
    found = {}
    if data_dir and os.path.isdir(data_dir):
        for family in sorted(os.listdir(data_dir)):
            fdir = os.path.join(data_dir, family)
            for task in sorted(os.listdir(fdir)) if os.path.isdir(fdir) else []:
                path = os.path.join(fdir, task, "labels.json")
                if os.path.isfile(path):
                    with open(path) as fh:
                        found[task.lower()] = 1.0 / len(json.load(fh))
    return {t: found[t.lower()] for t in tasks if t.lower() in found}


def fmt(x, pct=True):
    if x is None:
        return "—"
    return "%.1f" % (100 * x) if pct else "%+.1f" % (100 * x)


def duration(seconds):
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return "%dh%02dm%02ds" % (seconds // 3600, seconds % 3600 // 60, seconds % 60) if seconds >= 3600 \
        else "%dm%02ds" % (seconds // 60, seconds % 60)


def load_method(run_root, method):
    path = os.path.join(run_root, method, "metrics.json")
    if not os.path.isfile(path):
        return None
    with open(path) as fh:
        metrics = json.load(fh)
    matrix = find(metrics, MATRIX_KEYS)
    if not isinstance(matrix, list) or not matrix:
        raise SystemExit("%s: no accuracy matrix under any of %s" % (path, ", ".join(MATRIX_KEYS)))
    a = square(matrix)
    if any(x is not None and x > 1.0 for row in a for x in row):  # the run wrote percentages
        a = [[None if x is None else x / 100.0 for x in row] for row in a]
    return {"a": a, "tasks": find(metrics, TASK_KEYS), "aa": average_accuracy(a), "bwt": backward_transfer(a),
            "reported_aa": find(metrics, ("averageAccuracy", "aa", "AA", "average_accuracy")),
            "reported_bwt": find(metrics, ("backwardTransfer", "bwt", "BWT", "backward_transfer")),
            "fwt": find(metrics, ("forwardTransfer", "fwt", "FWT", "forward_transfer")),
            "notes": find(metrics, ("notes",)) or []}


def section(run_root):
    with open(os.path.join(run_root, "bench.json")) as fh:
        info = json.load(fh)
    tasks = info["order"].split(",")
    model_dir = os.path.join(run_root, "model")
    params = safetensors_parameters(model_dir)
    config = {}
    if os.path.isfile(os.path.join(model_dir, "config.json")):
        with open(os.path.join(model_dir, "config.json")) as fh:
            config = json.load(fh)
    dims = ", ".join("%s %s" % (k, config[k]) for k in ("hidden_size", "num_hidden_layers", "num_attention_heads",
                                                        "intermediate_size", "vocab_size") if k in config)
    walls = info.get("wall_s", {})
    lines = [BEGIN, "## Continual-learning benchmark (CL_Benchmark, %d tasks)" % len(tasks), ""]
    lines.append("- Command: `%s`" % info["command"])
    lines.append("- Date (UTC): %s; machine: %s" % (info.get("date", "?"), info.get("machine", "?")))
    lines.append("- Model: LLaMA `--size %s`, trained from scratch, %s parameters%s"
                 % (info.get("size", "?"), "{:,}".format(params) if params else "unknown", " (%s)" % dims if dims else ""))
    lines.append("- Tokenizer: %s" % tokenizer_description(model_dir))
    lines.append("- Data: %s tasks in this order: %s; %s training and %s test examples per task (seeded sample, seed %s)"
                 % (len(tasks), ", ".join(tasks), info.get("train_per_task"), info.get("test_per_task"), info.get("seed")))
    if info.get("extra_args"):
        lines.append("- Extra `sculpt continual` arguments: `%s`" % info["extra_args"])
    lines.append("- Total wall time: %s" % duration(sum(v for v in walls.values() if v is not None)))
    lines.append("")
    chance = chance_levels(info.get("data"), tasks)
    if chance:
        lines.append("Chance level per task (1 / number of labels): "
                     + ", ".join("%s %.0f%%" % (t, 100 * chance[t]) for t in tasks if t in chance) + ".")
        lines.append("")
    lines += ["| method | AA (%) | BWT (points) | FWT (points, from the run) | wall time |", "|---|---|---|---|---|"]
    results = {}
    for method in info.get("methods", []):
        r = load_method(run_root, method)
        results[method] = r
        if r is None:
            lines.append("| %s | not run or failed | | | %s |" % (method, duration(walls.get(method))))
        elif method == "multitask":
            lines.append("| multitask (upper bound) | %s | n/a | n/a | %s |" % (fmt(r["a"][-1][0]), duration(walls.get(method))))
        else:
            fwt = r["fwt"] if isinstance(r["fwt"], (int, float)) else None
            if fwt is not None and abs(fwt) > 1.0:  # the run wrote percentage points
                fwt /= 100.0
            lines.append("| %s | %s | %s | %s | %s |" % (method, fmt(r["aa"]), fmt(r["bwt"], pct=False),
                                                       fmt(fwt, pct=False), duration(walls.get(method))))
    lines.append("")
    lines.append("AA = mean accuracy over all tasks after the last task; BWT = mean over earlier tasks j of "
                 "a[T][j] - a[j][j] (negative = forgetting); both recomputed here from each run's accuracy matrix. "
                 "Accuracy = exact match of the greedily generated label. The multitask run trains once on all "
                 "tasks' training samples shuffled together; its figure is the accuracy on all test samples, which "
                 "equals the mean of the per-task accuracies because every task has the same test cap.")
    for method, r in results.items():
        if r is None or method == "multitask":
            continue
        names = r["tasks"] if isinstance(r["tasks"], list) and len(r["tasks"]) == len(r["a"]) else tasks[:len(r["a"])]
        lines += ["", "### %s: accuracy (%%) on each task (columns) after training task i (rows)" % method, ""]
        lines.append("| after \\ on | " + " | ".join(names) + " |")
        lines.append("|---" * (len(names) + 1) + "|")
        for i, row in enumerate(r["a"]):
            lines.append("| %d. %s | " % (i + 1, names[i]) + " | ".join(fmt(x) if j <= i else "" for j, x in enumerate(row)) + " |")
        for key in ("aa", "bwt"):
            rep = r["reported_" + key]
            if isinstance(rep, (int, float)) and r[key] is not None and abs(rep - r[key]) > 1e-4 and abs(rep - 100 * r[key]) > 1e-2:
                lines.append("")
                lines.append("Note: the run's own %s (%s) differs from the recomputed one (%s)." % (key.upper(), rep, r[key]))
    run_notes = []
    for method, r in results.items():
        for note in (r or {}).get("notes", []):
            if isinstance(note, str) and note not in run_notes:
                run_notes.append(note)
    if run_notes:
        lines += ["", "Notes from the runs:", ""] + ["- " + n for n in run_notes]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(results_path, text):
    old = ""
    if os.path.isfile(results_path):
        with open(results_path) as fh:
            old = fh.read()
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + text.rstrip("\n") + old[old.index(END) + len(END):]
    else:
        new = (old.rstrip("\n") + "\n\n" if old.strip() else "# Benchmark results\n\n") + text
    folder = os.path.dirname(os.path.abspath(results_path))
    fd, tmp = tempfile.mkstemp(prefix=".RESULTS.", dir=folder)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(new)
        os.replace(tmp, results_path)
    except BaseException:
        os.unlink(tmp)
        raise


def self_test():
    # hand-computed: after task 3 the row is (0.5, 0.6, 0.9); diagonal 0.8, 0.7 -> BWT = ((0.5-0.8)+(0.6-0.7))/2 = -0.2
    a = square([[0.8], [0.6, 0.7, None], [0.5, 0.6, 0.9]])
    assert a == [[0.8, None, None], [0.6, 0.7, None], [0.5, 0.6, 0.9]], a
    assert abs(average_accuracy(a) - (0.5 + 0.6 + 0.9) / 3) < 1e-12
    assert abs(backward_transfer(a) - (-0.2)) < 1e-12
    assert backward_transfer(square([[0.4]])) is None
    assert find({"metrics": {"accuracy": [[1]]}}, MATRIX_KEYS) == [[1]]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "RESULTS.md")
        with open(path, "w") as fh:
            fh.write("# Results\n\nkernel figures\n")
        write_section(path, BEGIN + "\nfirst\n" + END + "\n")
        write_section(path, BEGIN + "\nsecond\n" + END + "\n")
        with open(path) as fh:
            text = fh.read()
        assert text.startswith("# Results\n\nkernel figures\n") and "second" in text and "first" not in text, text
        assert text.count(BEGIN) == 1
    print("cl_results self-test: ok")


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    run_root = argv[1]
    results = None
    show = False
    rest = argv[2:]
    while rest:
        arg = rest.pop(0)
        if arg == "--results" and rest:
            results = rest.pop(0)
        elif arg == "--print":
            show = True
        else:
            print("cl_results: unknown argument %s" % arg, file=sys.stderr)
            return 2
    text = section(run_root)
    if show or results is None:
        sys.stdout.write(text)
    if results is not None:
        write_section(results, text)
        print("cl_results: wrote the CL benchmark section of %s" % results, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
