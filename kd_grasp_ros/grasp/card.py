"""`kd-grasp grasp card`: a model card (JSON + Markdown) from a checkpoint, `eval` and `bench` results.

Every number in the card is copied from the JSON files written by `kd-grasp grasp eval` and
`kd-grasp bench` (bench.json); nothing is typed in by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from kd_grasp_ros.common.network_stats import bench_rows, count_parameters, latency_lines
from kd_grasp_ros.common.statistics import wilson_interval
from kd_grasp_ros.grasp.checkpoint import load_model
from kd_grasp_ros.grasp.errors import GraspDataError


def _eval_row(report: dict) -> dict:
    keys = ("model", "model_name", "source", "dataset", "split", "split_method", "fold", "n", "correct")
    row = {k: report.get(k) for k in keys} | {"accuracy": report["accuracy"], "depth": report.get("depth")}
    ci = wilson_interval(report["correct"], report["n"])
    return row | {"ci95": [ci.low, ci.high]}


def _agreement_row(report: dict) -> dict:
    """Student-teacher agreement (`kd-grasp grasp agreement`) on plain crops and on strong views."""
    row = {k: report.get(k) for k in ("model", "teacher", "data", "split_method", "split", "fold")}
    for kind in ("reference", "augmented"):
        part = report[kind]
        row[kind] = {k: part[k] for k in ("views", "mse", "mse_total", "top1_match", "top1_scored")}
    return row


def build_card(
    checkpoint: Path,
    evals: list[dict],
    peer_evals: list[dict],
    bench: dict | None,
    notes: list[str],
    agreements: list[dict] = (),
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
        "split": extra.get("split_method", extra.get("split")),
        "fold": extra.get("fold"),
        "augment": training.get("augment"),
        "views_per_scene": training.get("views_per_scene"),
        "device": training.get("device"),
        "seed": training.get("seed"),
        "teacher": training.get("teacher"),
        "alpha": training.get("alpha"),
        "kd_views": training.get("kd_views"),
        "batch_size": training.get("batch_size"),
        "lr": lr_schedule(ckpt.get("history", [])) or training.get("lr"),
        "epochs_trained": len(ckpt.get("history", [])),
        "best_epoch": ckpt.get("epoch"),
        "best_val_accuracy": ckpt.get("best_val_accuracy"),
        "training_minutes": (ckpt["history"][-1]["elapsed_s"] / 60.0) if ckpt.get("history") else None,
        "n_train_scenes": len(extra.get("train_scenes", [])),
        "n_val_scenes": len(extra.get("val_scenes", [])),
        "held_out_eval": [_eval_row(e) for e in evals],
        "peer_eval": [_eval_row(e) for e in peer_evals],
        "agreement": [_agreement_row(a) for a in agreements],
        "bench": bench_rows(bench, checkpoint.stem) if bench else [],
        "notes": notes,
    }


def lr_schedule(history: list[dict]) -> str:
    """'0.001 (epochs 0-28), 0.0005 (epochs 29-60)' from the per-epoch "lr" of a run's history;
    '' when the history does not record it."""
    if not history or any("lr" not in h for h in history):
        return ""
    phases: list[list] = []
    for h in history:
        if phases and phases[-1][0] == h["lr"]:
            phases[-1][2] = h["epoch"]
        else:
            phases.append([h["lr"], h["epoch"], h["epoch"]])
    return ", ".join(f"{lr:g} (epochs {first}-{last})" for lr, first, last in phases)


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
        f"- Data: {c['data']}; split `{c['split']}`"
        + (f" fold {c['fold']}" if c.get("fold") is not None and c["split"] == "objectwise" else "")
        + f" ({c['n_train_scenes']} training scenes; {c['n_val_scenes']} labeled train scenes held out for"
        f" checkpoint selection; the test part never seen); seed {c['seed']}.",
        f"- Training: teacher {c['teacher']}, alpha {c['alpha']}, augmentation {c.get('augment')}"
        f" ({c.get('views_per_scene')} views per scene and epoch), batch {c['batch_size']}, lr {c['lr']};"
        f" {c['epochs_trained']} epochs in {c['training_minutes']:.1f} min on {c.get('device')} (threads"
        f" as in the commands); best epoch {c['best_epoch']} (validation accuracy"
        f" {c['best_val_accuracy']:.3f}).",
        "",
        "## Held-out accuracy (`kd-grasp grasp eval`, rectangle metric, top-1)",
        "",
        "| model | dataset | split | n | correct | accuracy (95% CI) |",
        "|---|---|---|---|---|---|",
    ]
    for row in card["held_out_eval"] + card["peer_eval"]:
        name = f"{row['model_name']} ({Path(row['model']).name})"
        part = f"{row.get('split_method') or ''} {row['split']}"
        if row.get("split_method") == "objectwise":
            part += f" (fold {row.get('fold')})"
        ci = wilson_interval(row["correct"], row["n"])
        low, high = row.get("ci95") or (ci.low, ci.high)
        lines.append(
            f"| {name} | {', '.join(Path(d).as_posix() for d in row['dataset'])} | {part.strip()} |"
            f" {row['n']} | {row['correct']} | {row['accuracy']:.3f} ({low:.2f}-{high:.2f}) |"
        )
    if card.get("agreement"):
        lines += [
            "",
            "## Agreement with the teacher (`kd-grasp grasp agreement`, held-out scenes)",
            "",
            "Top-1 match: the student's best grasp matches the teacher's under the rectangle metric. MSE per"
            " map (quality, cos 2θ, sin 2θ, width/150) between student and teacher outputs.",
            "",
            "| data | views | top-1 match | MSE quality / cos / sin / width |",
            "|---|---|---|---|",
        ]
        for row in card["agreement"]:
            data = ", ".join(Path(d).as_posix() for d in row["data"])
            fold = f" fold {row['fold']}" if row.get("split_method") == "objectwise" else ""
            for kind, label in (("reference", "plain crops"), ("augmented", "strong views")):
                a = row[kind]
                mse = " / ".join(f"{a['mse'][k]:.4f}" for k in ("quality", "cos", "sin", "width"))
                lines.append(
                    f"| {data} {row['split']}{fold} | {label} ({a['views']}) |"
                    f" {a['top1_match']}/{a['top1_scored']} | {mse} |"
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
    agreements = [_read_json(p) for p in args.agreement]
    card = build_card(Path(args.checkpoint), evals, peers, bench, args.note, agreements)
    out = (Path(args.out) if args.out else Path(args.checkpoint)).with_suffix("")
    out.with_suffix(".json").write_text(json.dumps(card, indent=1))
    out.with_suffix(".md").write_text(card_markdown(card))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
    return 0
