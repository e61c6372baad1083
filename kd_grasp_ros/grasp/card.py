"""`kd-grasp grasp card`: a model card (JSON + Markdown) from a checkpoint, `eval` and `bench` results.

Every number in the card is copied from the JSON files written by `kd-grasp grasp eval` and
`kd-grasp bench` (bench.json); nothing is typed in by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from kd_grasp_ros.common.network_stats import bench_rows, count_parameters, latency_lines
from kd_grasp_ros.grasp.checkpoint import load_model
from kd_grasp_ros.grasp.errors import GraspDataError


def _eval_row(report: dict) -> dict:
    return {
        k: report[k]
        for k in (
            "model",
            "model_name",
            "source",
            "dataset",
            "split",
            "split_method",
            "n",
            "correct",
            "accuracy",
            "angle_smoothing",
        )
    }


def build_card(
    checkpoint: Path, evals: list[dict], peer_evals: list[dict], bench: dict | None, notes: list[str]
) -> dict:
    model, ckpt = load_model(checkpoint)
    training = ckpt.get("training", {})
    extra = training.get("extra", {})
    return {
        "file": checkpoint.name,
        "model_name": model.cfg.name,
        "model_cfg": ckpt["model_cfg"],
        "parameters": count_parameters(model),
        "size_mb": checkpoint.stat().st_size / 1e6,
        "commands": extra.get("commands", [extra.get("command")]),
        "data": extra.get("data"),
        "split": extra.get("split"),
        "seed": training.get("seed"),
        "teacher": training.get("teacher"),
        "alpha": training.get("alpha"),
        "kd_views": training.get("kd_views"),
        "batch_size": training.get("batch_size"),
        "lr": training.get("lr"),
        "epochs_trained": len(ckpt.get("history", [])),
        "best_epoch": ckpt.get("epoch"),
        "best_val_accuracy": ckpt.get("best_val_accuracy"),
        "training_minutes": (ckpt["history"][-1]["elapsed_s"] / 60.0) if ckpt.get("history") else None,
        "n_train_scenes": len(extra.get("train_scenes", [])),
        "n_val_scenes": len(extra.get("val_scenes", [])),
        "held_out_eval": [_eval_row(e) for e in evals],
        "peer_eval": [_eval_row(e) for e in peer_evals],
        "bench": bench_rows(bench, checkpoint.stem) if bench else [],
        "notes": notes,
    }


def card_markdown(card: dict) -> str:
    c = card
    lines = [
        f"# {c['file']} ({c['model_name']})",
        "",
        f"- Architecture: {'GG-CNN2' if c['model_name'] == 'ggcnn2' else 'GG-CNN'}, filters "
        f"({', '.join(str(f) for f in c['model_cfg']['filters'])}), {c['parameters']:,} parameters,"
        f" {c['size_mb']:.3f} MB on disk.",
        "- Commands (run in this order; later ones resume the run):",
        *[f"  - `{cmd}`" for cmd in c["commands"]],
        f"- Data: {c['data']}; split `{c['split']}` (per directory: first 90% train, last 10% test;"
        f" {c['n_val_scenes']} labeled train scenes held out for checkpoint selection);"
        f" seed {c['seed']}.",
        f"- Training: teacher {c['teacher']}, alpha {c['alpha']}, KD views per scene {c['kd_views']},"
        f" batch {card['batch_size']}, lr {card['lr']}; {card['epochs_trained']} epochs in"
        f" {card['training_minutes']:.1f} min (CPU, shared machine; threads as in the commands);"
        f" best epoch"
        f" {card['best_epoch']} (validation accuracy {card['best_val_accuracy']:.3f}).",
        "",
        "## Held-out accuracy (`kd-grasp grasp eval`, rectangle metric, top-1)",
        "",
        "| model | dataset | split | n | correct | accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for row in card["held_out_eval"] + card["peer_eval"]:
        name = f"{row['model_name']} ({Path(row['model']).name})"
        lines.append(
            f"| {name} | {', '.join(Path(d).as_posix() for d in row['dataset'])} | {row['split']} |"
            f" {row['n']} | {row['correct']} | {row['accuracy']:.3f} |"
        )
    if card["bench"]:
        lines += ["", "## Latency (`kd-grasp bench`, batch 1, 300x300, CPU)", ""]
        lines += latency_lines(card["bench"])
    if card["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in card["notes"]]
    return "\n".join(lines) + "\n"


def _read_json(path) -> dict:
    """A results JSON written by another verb; GraspDataError naming the file when unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise GraspDataError(f"cannot read results JSON {path}: {exc}") from exc


def run_card(args) -> int:
    evals = [_read_json(p) for p in args.eval]
    peers = [_read_json(p) for p in args.peer_eval]
    bench = _read_json(args.bench) if args.bench else None
    card = build_card(Path(args.checkpoint), evals, peers, bench, args.note)
    out = (Path(args.out) if args.out else Path(args.checkpoint)).with_suffix("")
    out.with_suffix(".json").write_text(json.dumps(card, indent=1))
    out.with_suffix(".md").write_text(card_markdown(card))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
    return 0
