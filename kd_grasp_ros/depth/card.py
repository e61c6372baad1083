"""Model cards for the shipped depth checkpoints, written from the checkpoint, eval and bench JSON files.

`kd-grasp depth card` writes models/depth_<name>.json (machine-readable) and .md (for people) so that
every number on a card comes from a file a command produced, never typed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from kd_grasp_ros.common.network_stats import bench_rows, count_parameters, latency_lines
from kd_grasp_ros.depth.checkpoint import load_model
from kd_grasp_ros.depth.evaluate import format_report
from kd_grasp_ros.depth.student import __doc__ as STUDENT_DOC
from kd_grasp_ros.depth.teacher import __doc__ as TEACHER_DOC

DESIGN = {"teacher": TEACHER_DOC, "student": STUDENT_DOC}


def build_card(checkpoint: Path, eval_paths: list[Path], bench_path: Path | None) -> dict:
    """The card as a dict: training provenance from the checkpoint plus the eval and bench results."""
    model, ckpt = load_model(checkpoint)
    name = ckpt["name"]
    history = ckpt.get("history", [])
    card = {
        "name": f"depth_{name}",
        "architecture": name,
        "file": checkpoint.name,
        "parameters": count_parameters(model),
        "model_cfg": ckpt["model_cfg"],
        "training": {
            "command": ckpt.get("command", ""),
            "data": ckpt.get("data"),
            "split": "scenes sorted by name: train = first 80 %, val = next 10 %, test = last 10 %",
            "n_train": ckpt.get("n_train"),
            "n_val": ckpt.get("n_val"),
            "seed": ckpt.get("seed"),
            "teacher": ckpt.get("teacher"),
            "init": ckpt.get("init"),
            "init_sha256": ckpt.get("init_sha256"),
            "input_size": ckpt.get("input_size"),
            "train_cfg": ckpt.get("train_cfg"),
            "loss_cfg": ckpt.get("loss_cfg") or (ckpt.get("train_cfg") or {}).get("loss"),
            "epochs_run": len(history),
            "best_epoch": ckpt.get("epoch"),
            "wall_minutes": history[-1]["minutes"] if history else None,
            "best_val": ckpt.get("metrics"),
            "machine": ckpt.get("machine"),
        },
        "evaluations": [],
        "bench": [],
    }
    for path in eval_paths:
        report = json.loads(Path(path).read_text())
        card["evaluations"].append({"file": str(path), **report})
    if bench_path is not None:
        bench = json.loads(Path(bench_path).read_text())
        card["bench"] = bench_rows(bench, checkpoint.stem)
    return card


def card_markdown(card: dict) -> str:
    """Human-readable card."""
    t = card["training"]
    device = (t["train_cfg"] or {}).get("device")
    lines = [
        f"# {card['name']} ({card['file']})",
        "",
        DESIGN[card["architecture"]].strip(),
        "",
        "## Training",
        "",
        f"- command: `{t['command']}`",
        f"- data: `{t['data']}` ({t['n_train']} train / {t['n_val']} val scenes; {t['split']})",
        f"- seed {t['seed']}, input {t['input_size']}, teacher: {t['teacher']}"
        + (f", started from the weights of {t['init']}" if t.get("init") else "")
        + (f" (sha256 {t['init_sha256'][:16]}...)" if t.get("init_sha256") else ""),
        f"- train config: `{json.dumps(t['train_cfg'])}`",
        f"- loss config: `{json.dumps(t['loss_cfg'])}`",
        f"- epochs run {t['epochs_run']}, best epoch {t['best_epoch']}, wall time {t['wall_minutes']} min "
        f"on {t.get('machine') or 'an unrecorded machine'} (torch device {device}; threads: see the command)",
        f"- parameters: {card['parameters']:,}",
        "",
        "## Evaluation (ClearGrasp protocol)",
        "",
        "Metrics over valid ground-truth pixels inside the transparent mask, per image then averaged; "
        "RMSE/MAE in metres, deltas and coverage in percent; `raw` scores missing pixels as 0.",
        "",
    ]
    for report in card["evaluations"]:
        lines += ["```", format_report(report), "```", ""]
    if card["bench"]:
        lines += ["## Speed (`kd-grasp bench`, batch 1)", "", *latency_lines(card["bench"]), ""]
    return "\n".join(lines)


def write_card(checkpoint: Path, eval_paths: list[Path], bench_path: Path | None, out_json: Path) -> dict:
    """Write <out_json> and the .md beside it; returns the card."""
    card = build_card(checkpoint, eval_paths, bench_path)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(card, indent=2))
    out_json.with_suffix(".md").write_text(card_markdown(card))
    return card
