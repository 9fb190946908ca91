#!/usr/bin/python3
"""OpenCV reference for YuNet, called by peers.bench.ts (Debian's python3-opencv; run with /usr/bin/python3).

    /usr/bin/python3 opencv_yunet.py JOB.json OUT.json

JOB: {"modelDir", "frames": [1280x720 images], "crowd": [photos], "warmup", "runs"}. Writes OUT (JSON):
version, whether cv2.FaceDetectorYN loads each model file (and why not), and timings of the 2023mar network run by
cv2.dnn at the frames' full size (1280x736, padded as FaceDetectorYN pads) and at 640x384 (the main pass of
@persona/vision's YuNet at minFaceSize 32), decoded as FaceDetectorYN does (score = sqrt(cls * obj), 0.6, NMS 0.3).
Single thread (cv2.setNumThreads(1)).
"""
import json
import os
import re
import sys
import time

import cv2
import numpy as np

STRIDES = (8, 16, 32)
SCORE, NMS_IOU, TOP_K = 0.6, 0.3, 5000


def pad32(img):
    h, w = img.shape[:2]
    ph, pw = (-h) % 32, (-w) % 32
    return cv2.copyMakeBorder(img, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=0) if ph or pw else img


def decode(outs, w, h):
    """Boxes (x, y, w, h) and scores from the 12 outputs (FaceDetectorYN 4.8's decoding, in numpy)."""
    boxes, scores = [], []
    for s in STRIDES:
        cols, rows = w // s, h // s
        cls, obj, bbox = outs[f"cls_{s}"].reshape(-1), outs[f"obj_{s}"].reshape(-1), outs[f"bbox_{s}"].reshape(-1, 4)
        score = np.sqrt(np.clip(cls, 0, 1) * np.clip(obj, 0, 1))
        keep = np.nonzero(score >= SCORE)[0]
        r, c = keep // cols, keep % cols
        b = bbox[keep]
        cx, cy = (c + b[:, 0]) * s, (r + b[:, 1]) * s
        bw, bh = np.exp(b[:, 2]) * s, np.exp(b[:, 3]) * s
        boxes += np.stack([cx - bw / 2, cy - bh / 2, bw, bh], 1).tolist()
        scores += score[keep].tolist()
    if not boxes:
        return []
    idx = cv2.dnn.NMSBoxes(boxes, scores, SCORE, NMS_IOU, top_k=TOP_K)
    return [boxes[i] for i in np.array(idx).reshape(-1)]


class DnnYuNet:
    def __init__(self, path):
        self.net = cv2.dnn.readNetFromONNX(path)
        self.names = self.net.getUnconnectedOutLayersNames()

    def detect(self, img):
        """img: BGR, sides multiples of 32. Returns (faces, inference ms, decode ms)."""
        h, w = img.shape[:2]
        t0 = time.perf_counter()
        self.net.setInput(cv2.dnn.blobFromImage(img))  # NCHW float BGR 0..255, as YuNet takes
        outs = dict(zip(self.names, self.net.forward(self.names)))
        t1 = time.perf_counter()
        faces = decode(outs, w, h)
        return faces, (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000


def median(xs):
    return float(np.median(xs)) if xs else None


def main():
    job = json.load(open(sys.argv[1]))
    cv2.setNumThreads(1)
    out = {"version": cv2.__version__, "faceDetectorYN": {}, "rows": []}
    frames = [cv2.imread(f) for f in job["frames"]]
    for name in ("face_detection_yunet_2023mar.onnx", "yunet_s_dynamic.onnx"):
        path = os.path.join(job["modelDir"], name)
        if not os.path.exists(path):
            out["faceDetectorYN"][name] = "file missing"
            continue
        try:
            img = pad32(frames[0])
            d = cv2.FaceDetectorYN.create(path, "", (img.shape[1], img.shape[0]), SCORE, NMS_IOU, TOP_K)
            d.detect(img)
            out["faceDetectorYN"][name] = "ok"
        except cv2.error as e:
            errors = re.findall(r"error: (\([^)]*\)[^\n]*)", str(e))
            out["faceDetectorYN"][name] = errors[-1].strip() if errors else str(e).strip()[:200]

    path = os.path.join(job["modelDir"], "face_detection_yunet_2023mar.onnx")
    try:
        net = DnnYuNet(path)
        net.detect(np.zeros((64, 96, 3), np.uint8))
    except cv2.error as e:
        out["dnnError"] = str(e).strip().splitlines()[-1]
        json.dump(out, open(sys.argv[2], "w"))
        return

    for label, size in (("native size, padded to x32", None), ("640x384 (frame / 2, padded)", (640, 360))):
        totals, infers, counts = [], [], []
        for f in frames:
            img = pad32(f if size is None else cv2.resize(f, size, interpolation=cv2.INTER_AREA))
            n = 0
            for i in range(job["warmup"] + job["runs"]):
                t0 = time.perf_counter()
                faces, inf, _ = net.detect(img)
                total = (time.perf_counter() - t0) * 1000
                if i >= job["warmup"]:
                    totals.append(total)
                    infers.append(inf)
                n = len(faces)
            counts.append(n)
        crowd = None
        if size is None:
            crowd = sum(len(net.detect(pad32(cv2.imread(f)))[0]) for f in job["crowd"])
        out["rows"].append({"input": label, "ms": median(totals), "inferMs": median(infers), "frameFaces": counts, "crowdFaces": crowd})
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
