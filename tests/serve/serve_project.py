"""A small generated project for the web app's tests: orchard images and boxes, embeddings,
predictions with class probabilities, scores, a CORESET and a CORAL tag, metadata, a
simulation beside it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from alpick.api import Project
from alpick.data.minneapple import convert_minneapple
from alpick.data.orchard import generate_orchard
from alpick.formats.detections import Classes, Detections

N_TRAIN = 12


def _predictions(gt: Detections, rng: np.random.Generator) -> Detections:
    k = len(gt)
    jitter = rng.normal(0, 1.5, (k, 4)).astype(np.float32)
    xyxy = gt.xyxy + jitter
    xyxy[:, 2:] = np.maximum(xyxy[:, 2:], xyxy[:, :2] + 1)
    conf = rng.uniform(0.05, 0.99, k).astype(np.float32)
    probs = np.stack([conf, 1 - conf], axis=1).astype(np.float32)
    return Detections(xyxy, np.zeros(k, np.int64), conf, probs)


def make_project(base: Path, *, n_train: int = N_TRAIN) -> Path:
    """Build the project in ``base/project`` (and ``base/orchard``, ``base/simulation``)."""
    orchard = base / "orchard"
    generate_orchard(orchard, n_train=n_train, n_test=2, size=(256, 192), seed=0)
    root = base / "project"
    convert_minneapple(orchard / "train", root / "data" / "raw", link=False)
    shutil.copy(orchard / "metadata.csv", root / "metadata.csv")
    rng = np.random.default_rng(0)
    project, _ = Project.initialize(root)
    with project:
        n = len(project.samples())
        project.save_embeddings("emb", rng.normal(size=(n, 16)).astype(np.float32), model="test")
        labels = project.labels()
        preds = {sid: _predictions(d, rng) for sid, d in labels.items()}
        project.save_predictions("preds", preds, Classes(["apple", "background"]), source="test")
        scores = project.compute_scores(
            "preds", scores=["uncertainty_entropy", "objectness_least_confidence"]
        )
        project.save_scores("preds", "preds", scores)
        project.select("initial", method="CORESET", n_samples=4, seed=0)
        project.select(
            "coral-1",
            method="CORAL",
            n_samples=7,
            preselected="initial",
            prediction_set="preds",
            seed=0,
        )
        project.annotate("initial")
    sim = base / "simulation"
    sim.mkdir()
    rows = [
        {
            "strategy": s,
            "seed": 0,
            "round": r,
            "n_labelled": 4 + 2 * r,
            "metrics": {
                "AP": 0.1 + 0.05 * r + (0.02 if s == "coral" else 0),
                "AP50": 0.3 + (0.12 if s == "coral" else 0.1) * r,
            },
        }
        for s in ("random", "coral")
        for r in range(3)
    ]
    (sim / "rounds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


class Server:
    """``alpick serve --port 0`` started for real in a subprocess; stop it with :meth:`stop`."""

    def __init__(self, root: Path, *args: str, env: dict[str, str] | None = None) -> None:
        import os
        import queue
        import subprocess
        import sys
        import threading

        full_env = {**os.environ, **(env or {})}
        src = str(Path(__file__).resolve().parents[2] / "src")
        full_env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [full_env.get("PYTHONPATH")])])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "alpick", "--project", str(root), "serve", "--port", "0",
             *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=full_env,
        )  # fmt: skip
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.put(line)
            lines.put("")

        threading.Thread(target=pump, daemon=True).start()
        self.output: list[str] = []
        self.url = ""
        try:
            while not self.url:
                line = lines.get(timeout=60)
                if not line:
                    raise RuntimeError("alpick serve exited: " + "".join(self.output))
                self.output.append(line)
                if line.startswith("serving "):
                    self.url = line.split(" at ", 1)[1].strip()
        except BaseException:
            self.stop()
            raise
        assert self.url.startswith("http://127.0.0.1:"), self.url
        self.base = self.url.split("?", 1)[0].rstrip("/")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        """Stop the server (Ctrl-C, then kill after 10 s)."""
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
