"""Train the learned trace mask (vaescan/digitize/segment.py) on pages of vaescan's own renderer.

Each training page: a synthetic record drawn in a random style (:func:`vaescan.pages.render.random_style`),
rendered twice, once without the trace (the record all NaN: paper, grid, text, calibration pulses) and once
with the pen's strokes alone (trace, calibration pulses, separators) in black on white: their coverage is the
target (the digitiser reads gain and t = 0 from the pulses, so they are trace to it). The trace is composited onto the
background here, so that photometric changes can hit it apart from the rest:

- steep strokes faded (a phone photo's thin QRS strokes are lighter than the flat trace), the whole trace
  faded or tinted;
- the grid and text darkened (grey or heavy grids left in the ink map);
- lighting gradients and shadows, crease lines, blur, down-and-up sampling, sensor noise, JPEG.

The pages stay in the renderer's frame (no geometric distortion: the digitiser rectifies first). The ink
map (:func:`vaescan.digitize.ink.ink_map`) and the features (:func:`vaescan.digitize.segment.page_features`)
are computed as the pipeline does; patches of 96x96 at the working resolution, two thirds centred on
trace, train the network with a binary cross-entropy. The outside pages (../shared/data/outside_pages) are
NOT used: they are the held-out development set.

    OMP_NUM_THREADS=1 PYTHONPATH=. python scripts/train_segmenter.py --pages 124 --val-pages 12 --minutes 9

writes vaescan/digitize/segmenter.pt (state_dict) and segmenter.json (settings, validation IoU).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from vaescan.data.records import Record
from vaescan.digitize.evaluate import eval_records
from vaescan.digitize.ink import ink_map
from vaescan.digitize.segment import WEIGHTS, WORK_PX_PER_MM, page_features, segmenter_net
from vaescan.io import atomic_path, write_json
from vaescan.pages.render import ecg_render, random_style


@dataclass
class TrainConfig:
    """Settings of one training run (saved beside the weights)."""

    pages: int = 120
    val_pages: int = 12
    patches_per_page: int = 96
    patch: int = 96
    batch: int = 24
    lr: float = 3e-3
    minutes: float = 12.0
    seed: int = 0
    trace_share: float = 0.67
    pos_weight: float = 2.0


def _fade_steep(alpha: np.ndarray, ppm: float, rng: np.random.Generator) -> np.ndarray:
    """A factor in (0, 1] per pixel: lighter where the trace runs steeply (a vertical run over 0.8 mm)."""
    k = max(3, int(round(0.8 * ppm)))
    steep = cv2.morphologyEx((alpha > 0.3).astype(np.uint8), cv2.MORPH_OPEN, np.ones((k, 1), np.uint8))
    steep = cv2.GaussianBlur(steep.astype(np.float32), (0, 0), max(0.5, 0.15 * ppm))
    return 1.0 - rng.uniform(0.3, 0.75) * np.clip(steep * 1.5, 0, 1)


def training_page(record: Record, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, tuple]:
    """A photometrically augmented page: (RGB uint8, ink map, target coverage in [0, 1], px per mm, grid phase px)."""
    style = random_style(rng)
    blank = Record(np.full_like(record.signal, np.nan), record.fs, record.sig_name, name=record.name)
    bg, truth = ecg_render(blank, style)
    only = dataclasses.replace(style, grid_color="none", paper_rgb=(255, 255, 255), text_rgb=(255, 255, 255),
                               trace_rgb=(0, 0, 0), header="", footer=False, label_position="none")
    trace_page, _ = ecg_render(record, only)
    alpha = 1.0 - trace_page[..., 0].astype(np.float32) / 255.0
    ppm = float(truth["px_per_mm"])
    bg = bg.astype(np.float32)
    paper = np.asarray(style.paper_rgb, np.float32)
    if rng.random() < 0.7:  # darker grid and text (ECG-Image-Kit-like brown, navy, black grids)
        bg = np.clip(paper - (paper - bg) * rng.uniform(1.2, 4.0), 0, 255)
    a = alpha.copy()
    if rng.random() < 0.6:
        a *= _fade_steep(alpha, ppm, rng)
    if rng.random() < 0.3:
        a *= rng.uniform(0.55, 0.9)
    if rng.random() < 0.3:  # pen not quite as wide/dark: thin it
        a = np.clip(a * 1.3 - 0.3, 0, 1)
    ink_rgb = np.asarray(style.trace_rgb, np.float32) + rng.uniform(0, 60) * (rng.random() < 0.3)
    img = bg * (1 - a[..., None]) + ink_rgb * a[..., None]
    h, w = a.shape
    if rng.random() < 0.5:  # lighting gradient and a soft shadow
        ys, xs = np.mgrid[0:h:8, 0:w:8].astype(np.float32)
        ang = rng.uniform(0, 2 * np.pi)
        field = 1 - rng.uniform(0.1, 0.4) * (0.5 + (np.cos(ang) * xs / w + np.sin(ang) * ys / h) / 2)
        b = rng.uniform(0, 2 * np.pi)
        edge = (np.cos(b) * (xs / w - rng.uniform(0.2, 0.8)) + np.sin(b) * (ys / h - rng.uniform(0.2, 0.8)))
        field *= 1 - rng.uniform(0.1, 0.5) / (1 + np.exp(-edge / rng.uniform(0.02, 0.1)))
        img *= cv2.resize(field, (w, h))[..., None]
    if rng.random() < 0.3:  # crease lines
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        for _ in range(int(rng.integers(1, 4))):
            ang = rng.uniform(0, np.pi)
            d = (xs * np.cos(ang) + ys * np.sin(ang) - rng.uniform(0.2, 0.8) * (w + h) / 2) / ppm
            img *= (1 - rng.uniform(0.1, 0.4) * np.exp(-(d / 0.25) ** 2))[..., None]
    if rng.random() < 0.3:  # colour cast
        img *= rng.uniform(0.85, 1.0, 3)
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.2, 0.15 * ppm + 0.3))
    if rng.random() < 0.25:  # down and up sampling (low resolution, phone)
        f = rng.uniform(0.5, 0.9)
        img = cv2.resize(cv2.resize(img, (int(w * f), int(h * f)), interpolation=cv2.INTER_AREA), (w, h))
    if rng.random() < 0.6:
        img += rng.normal(0, rng.uniform(2, 25), img.shape).astype(np.float32)
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 95))])
        img = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    phase = tuple(truth["grid_origin_px"])
    ink = ink_map(img, ppm, phase if style.grid_color != "none" else None)
    return img, ink, alpha, ppm, phase


def page_patches(img, ink, alpha, ppm, rng, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Patches (n, N_INPUTS, p, p) uint8 of features and (n, p, p) uint8 targets at the working resolution."""
    feats = page_features(ink, ppm)
    _, h, w = feats.shape
    interp = cv2.INTER_AREA if WORK_PX_PER_MM < ppm else cv2.INTER_LINEAR
    target = cv2.resize(alpha, (w, h), interpolation=interp) > 0.3
    p = cfg.patch
    ys, xs = np.nonzero(target[p // 2:h - p // 2, p // 2:w - p // 2])
    out_x, out_y = [], []
    for _ in range(cfg.patches_per_page):
        if len(ys) and rng.random() < cfg.trace_share:
            k = int(rng.integers(len(ys)))
            y0, x0 = ys[k], xs[k]
        else:
            y0, x0 = int(rng.integers(0, h - p)), int(rng.integers(0, w - p))
        out_x.append(np.round(feats[:, y0:y0 + p, x0:x0 + p] * 255).astype(np.uint8))
        out_y.append(target[y0:y0 + p, x0:x0 + p].astype(np.uint8))
    return np.stack(out_x), np.stack(out_y)


def iou(net, x: torch.Tensor, y: torch.Tensor) -> float:
    """Intersection over union of the thresholded output with the target."""
    with torch.inference_mode():
        pred = net(x)[:, 0] > 0
    t = y > 0.5
    return float((pred & t).sum() / max(int((pred | t).sum()), 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for f in dataclasses.fields(TrainConfig):
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    args = vars(ap.parse_args())
    out = args.pop("out")
    cfg = TrainConfig(**args)
    torch.set_num_threads(1)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    t_start = time.time()
    records = eval_records(cfg.pages + cfg.val_pages, seed=1000 + cfg.seed)
    xs, ys = [], []
    for record in tqdm(records, desc="pages"):
        x, y = page_patches(*training_page(record, rng)[:4], rng, cfg)
        xs.append(x)
        ys.append(y)
    n_val = cfg.val_pages * cfg.patches_per_page
    x_all = torch.from_numpy(np.concatenate(xs))
    y_all = torch.from_numpy(np.concatenate(ys))
    x_tr, y_tr = x_all[:-n_val], y_all[:-n_val]
    x_val, y_val = x_all[-n_val:].float() / 255, y_all[-n_val:].float()
    data_s = time.time() - t_start
    net = segmenter_net().to(memory_format=torch.channels_last)  # twice as fast on a CPU
    x_val = x_val.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(cfg.pos_weight))
    t0, step = time.time(), 0
    budget = cfg.minutes * 60
    with tqdm(desc="steps") as bar:
        while time.time() - t0 < budget:
            idx = torch.randint(len(x_tr), (cfg.batch,))
            x, y = x_tr[idx].float() / 255, y_tr[idx].float()
            if step % 2:
                x, y = x.flip(-1), y.flip(-1)
            x = x.contiguous(memory_format=torch.channels_last)
            frac = (time.time() - t0) / budget
            for g in opt.param_groups:
                g["lr"] = cfg.lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * frac)))
            loss = loss_fn(net(x)[:, 0], y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            bar.update()
            if step % 200 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}", val_iou=f"{iou(net, x_val, y_val):.3f}")
    val_iou = iou(net, x_val, y_val)
    with atomic_path(out) as tmp:
        torch.save(net.state_dict(), tmp)
    info = {"config": dataclasses.asdict(cfg), "steps": step, "val_iou": round(val_iou, 4),
            "data_minutes": round(data_s / 60, 2), "train_minutes": round((time.time() - t0) / 60, 2),
            "work_px_per_mm": WORK_PX_PER_MM, "torch": torch.__version__,
            "data": "vaescan's own renderer (random_style, all development families), synthetic records "
                    f"eval_records(seed={1000 + cfg.seed}); no outside pages"}
    write_json(out.with_suffix(".json"), info)
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
