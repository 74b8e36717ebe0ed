#!/usr/bin/env python3
"""The comparison point for bench/server/run.sh: a Flask + PyTorch (CPU) digit server shaped like
the reference app - same network (conv3x3 32/64/128, each + ReLU + max-pool 2, fc 1152->512 + ReLU,
fc 10, softmax; random weights, which does not change the cost), PIL preprocessing (grayscale,
resize to 28x28), JSON answer. It accepts the same request as digits-server (image/png body) and,
like the reference app, {"image": data URL} JSON on POST /predict.

    reference_server.py PORT
"""
import base64
import io
import sys

import numpy as np
import torch
import torch.nn as nn
from flask import Flask, jsonify, request
from PIL import Image
from werkzeug.serving import WSGIRequestHandler


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(128 * 3 * 3, 512), nn.ReLU(), nn.Linear(512, 10))

    def forward(self, x):
        return torch.softmax(self.classifier(self.features(x)), dim=1)


torch.manual_seed(0)
model = Net().eval()
app = Flask(__name__)


@app.route("/predict", methods=["POST"])
def predict():
    try:
        if request.mimetype == "image/png":
            data = request.get_data()
        else:
            data = base64.b64decode(request.get_json()["image"].split(",", 1)[1])
        img = Image.open(io.BytesIO(data)).convert("L").resize((28, 28))
        x = torch.from_numpy(255 - np.asarray(img, dtype=np.float32)).div(255).view(1, 1, 28, 28)
        with torch.no_grad():
            probs = model(x)[0]
        digit = int(probs.argmax())
        return jsonify(success=True, prediction=digit, confidence=float(probs[digit]) * 100,
                       probabilities=probs.tolist())
    except Exception as e:  # the reference app's behaviour
        return jsonify(success=False, error=str(e)), 400


if __name__ == "__main__":
    WSGIRequestHandler.protocol_version = "HTTP/1.1"  # keep-alive, as wrk uses with digits-server
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
