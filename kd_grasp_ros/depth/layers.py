"""Building blocks shared by the teacher and the student: conv units, padding and (shifted) window attention.

Window attention follows Swin: the feature map is cut into non-overlapping ws x ws windows and
attention runs inside each; alternate blocks shift the windows by ws // 2 (cyclic roll) so information
crosses window borders. Our simplification: no attention mask for the rolled border windows (they mix
a few pixels of opposite image borders), and a learned per-head relative bias over all ws^2 x ws^2
position pairs instead of Swin's indexed table. Queries/keys and values may come from different
feature maps (cross-modal attention), which is what the teacher's Position Correlation Block needs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn_relu(c_in: int, c_out: int, stride: int = 1, kernel: int = 3) -> nn.Sequential:
    """Conv (no bias) -> BatchNorm -> ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


def zero_last_conv(head: nn.Sequential) -> None:
    """Start a head's last conv at zero: no correction at confidence 0.5, so training begins at the
    classical fill (preprocess.compose_depth) with gradients flowing through the confidence gate."""
    nn.init.zeros_(head[-1].weight)
    nn.init.zeros_(head[-1].bias)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Replicate-pad H and W (bottom/right) to a multiple; returns the padded tensor and the old size."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return x, (h, w)


def upsample_to(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Bilinear resize of x to the spatial size of ref."""
    return F.interpolate(x, size=ref.shape[-2:], mode="bilinear", align_corners=False)


class ChannelNorm(nn.GroupNorm):
    """GroupNorm(1, C): per sample, one mean and variance over all of C, H and W jointly, then a
    per-channel affine scale and shift. Not a per-pixel LayerNorm over channels (that would normalise
    each (h, w) position over C alone)."""

    def __init__(self, channels: int):
        super().__init__(1, channels)


def _to_windows(x: torch.Tensor, ws: int, heads: int) -> torch.Tensor:
    b, c, h, w = x.shape
    x = x.view(b, heads, c // heads, h // ws, ws, w // ws, ws)
    return x.permute(0, 3, 5, 1, 4, 6, 2).reshape(b * (h // ws) * (w // ws), heads, ws * ws, c // heads)


def _from_windows(t: torch.Tensor, ws: int, b: int, h: int, w: int) -> torch.Tensor:
    heads, dh = t.shape[1], t.shape[3]
    t = t.view(b, h // ws, w // ws, heads, ws, ws, dh)
    return t.permute(0, 3, 6, 1, 4, 2, 5).reshape(b, heads * dh, h, w)


class CrossWindowAttention(nn.Module):
    """Multi-head attention inside (optionally shifted) windows; Q, K from `guide`, V from `source`."""

    def __init__(self, guide_dim: int, source_dim: int, dim: int, heads: int, window: int, shift: bool):
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention dim {dim} must be divisible by heads {heads}")
        self.heads, self.window, self.shift = heads, window, window // 2 if shift else 0
        self.qk = nn.Conv2d(guide_dim, 2 * dim, 1)
        self.v = nn.Conv2d(source_dim, dim, 1)
        self.proj = nn.Conv2d(dim, source_dim, 1)
        self.rel_bias = nn.Parameter(torch.zeros(heads, window * window, window * window))

    def forward(self, guide: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        b, _, h, w = source.shape
        ws, s = self.window, self.shift
        q, k = self.qk(guide).chunk(2, dim=1)
        v = self.v(source)
        x = torch.cat([q, k, v], dim=1)
        x, _ = pad_to_multiple(x, ws)
        if s:
            x = torch.roll(x, shifts=(-s, -s), dims=(2, 3))
        hp, wp = x.shape[-2:]
        q, k, v = (_to_windows(t, ws, self.heads) for t in x.chunk(3, dim=1))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=self.rel_bias)
        out = _from_windows(out, ws, b, hp, wp)
        if s:
            out = torch.roll(out, shifts=(s, s), dims=(2, 3))
        return self.proj(out[..., :h, :w])


class CrossWindowBlock(nn.Module):
    """Pre-norm transformer block: source += attn(norm(guide), norm(source)); source += MLP(norm(source))."""

    def __init__(
        self, guide_dim: int, source_dim: int, heads: int, window: int, shift: bool, mlp_ratio: int = 2
    ):
        super().__init__()
        self.norm_guide, self.norm_source = ChannelNorm(guide_dim), ChannelNorm(source_dim)
        self.attn = CrossWindowAttention(guide_dim, source_dim, source_dim, heads, window, shift)
        self.norm_mlp = ChannelNorm(source_dim)
        self.mlp = nn.Sequential(
            nn.Conv2d(source_dim, mlp_ratio * source_dim, 1),
            nn.GELU(),
            nn.Conv2d(mlp_ratio * source_dim, source_dim, 1),
        )

    def forward(self, guide: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        source = source + self.attn(self.norm_guide(guide), self.norm_source(source))
        return source + self.mlp(self.norm_mlp(source))
