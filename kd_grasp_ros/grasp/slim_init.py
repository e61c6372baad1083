"""Start a narrow GG-CNN student from its teacher's weights (channel selection) instead of at random.

Student v1 (16-8-4) and v2 (24-12-6) have the teacher's layers with fewer channels. Each student layer
keeps the teacher channels that carry most of the signal onward: importance = RMS of the channel's
activation on depth views x the norm of the weights that read it in the next layer. The kept weights
and biases are copied, so the student starts near the teacher's function and distillation refines it
(how near: scripts/slim_init_start.py). A student with the teacher's widths is the teacher (tested).
"""

from __future__ import annotations

import torch
from torch import nn

from kd_grasp_ros.grasp.errors import GraspModelError
from kd_grasp_ros.grasp.models import GGCNN

# Each hidden activation of GG-CNN in order, the layer that writes it and the layer(s) that read it.
CHAIN = (
    ("conv1", "conv2"),
    ("conv2", "conv3"),
    ("conv3", "convt1"),
    ("convt1", "convt2"),
    ("convt2", "convt3"),
    ("convt3", "heads"),
)
HEADS = ("pos_output", "cos_output", "sin_output", "width_output")


def _activations(teacher: GGCNN, depth: torch.Tensor) -> dict[str, torch.Tensor]:
    """Post-ReLU output of every hidden layer of the teacher on depth (B, 1, H, W)."""
    found: dict[str, torch.Tensor] = {}
    hooks = [
        getattr(teacher, name).register_forward_hook(
            lambda _m, _i, out, name=name: found.__setitem__(name, torch.relu(out))
        )
        for name, _ in CHAIN
    ]
    fast = teacher.fast_train
    teacher.fast_train = False  # the module forms, so the hooks see every layer
    try:
        with torch.no_grad():
            teacher.eval()(depth)
    finally:
        teacher.fast_train = fast
        for h in hooks:
            h.remove()
    return found


def _readers(model: GGCNN, reader: str) -> list[nn.Module]:
    return list(model.heads()) if reader == "heads" else [getattr(model, reader)]


def _read_weight(layer: nn.Module) -> torch.Tensor:
    """The reader's weights as (input channel, -1)."""
    w = layer.weight.detach()
    if isinstance(layer, nn.ConvTranspose2d):  # (in, out, k, k)
        return w.flatten(1)
    return w.transpose(0, 1).flatten(1)  # Conv2d: (out, in, k, k)


def _importance(act: torch.Tensor, readers: list[nn.Module]) -> torch.Tensor:
    rms = act.pow(2).mean((0, 2, 3)).sqrt()
    reads = torch.cat([_read_weight(r) for r in readers], 1).norm(dim=1)
    return rms * reads


def init_from_teacher(student: GGCNN, teacher: GGCNN, depth: torch.Tensor) -> dict[str, list[int]]:
    """Overwrite student's weights with the teacher's most important channels (measured on depth,
    B x 1 x H x W real views); returns the kept teacher channel indices per layer."""
    if not (isinstance(student, GGCNN) and isinstance(teacher, GGCNN)):
        raise GraspModelError("init from a teacher needs GG-CNN-shaped student and teacher")
    t_f, s_f = teacher.cfg.filters, student.cfg.filters
    if any(s > t for s, t in zip(s_f, t_f, strict=True)):
        raise GraspModelError(f"student filters {s_f} must not exceed the teacher's {t_f}")
    acts = _activations(teacher, depth)
    kept: dict[str, torch.Tensor] = {}
    for writer, reader in CHAIN:
        act = acts[writer]
        width = getattr(student, writer).bias.shape[0]
        order = torch.argsort(_importance(act, _readers(teacher, reader)), descending=True)
        keep = torch.sort(order[:width]).values
        kept[writer] = keep
    inputs = {"conv1": torch.arange(teacher.conv1.weight.shape[1])}
    for writer, reader in CHAIN:
        for r_name in HEADS if reader == "heads" else (reader,):
            inputs[r_name] = kept[writer]
    with torch.no_grad():
        for name, ins in inputs.items():
            t_layer, s_layer = getattr(teacher, name), getattr(student, name)
            outs = kept.get(name, torch.arange(t_layer.bias.shape[0]))
            w = t_layer.weight.detach()
            s_layer.weight.copy_(
                w[ins][:, outs] if isinstance(t_layer, nn.ConvTranspose2d) else w[outs][:, ins]
            )
            s_layer.bias.copy_(t_layer.bias.detach()[outs])
    return {name: idx.tolist() for name, idx in kept.items()}
