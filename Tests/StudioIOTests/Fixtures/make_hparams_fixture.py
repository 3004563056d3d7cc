#!/usr/bin/env python3
"""Writes hparams.json: the Summary protobufs TensorBoard's own HParams protos give for a fixed set
of hyperparameters and metric tags, for TensorBoardWriterTests.

Run with a Python that has the `tensorboard` package (pip install tensorboard):
    python3 make_hparams_fixture.py
"""
import json

from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

HPARAMS = {"train.lr": 0.0002, "model.family": "dcgan", "model.ema": False, "train.batch": 64.0}
METRICS = ["loss_d", "test_accuracy"]
WALL_TIME = 1234.5


def summary(tag, data):
    content = data.SerializeToString(deterministic=True)
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="hparams", content=content))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata)]).SerializeToString(deterministic=True)


def main():
    names = sorted(HPARAMS)
    types = {str: api_pb2.DATA_TYPE_STRING, bool: api_pb2.DATA_TYPE_BOOL, float: api_pb2.DATA_TYPE_FLOAT64}
    experiment = api_pb2.Experiment(
        hparam_infos=[api_pb2.HParamInfo(name=n, type=types[type(HPARAMS[n])]) for n in names],
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(tag=t)) for t in METRICS])
    start = plugin_data_pb2.SessionStartInfo(start_time_secs=WALL_TIME)
    for name, value in HPARAMS.items():
        if isinstance(value, bool):
            start.hparams[name].bool_value = value
        elif isinstance(value, str):
            start.hparams[name].string_value = value
        else:
            start.hparams[name].number_value = value
    fixture = {
        "hparams": {k: v for k, v in HPARAMS.items()},
        "metrics": METRICS,
        "wall_time": WALL_TIME,
        "experiment_summary": summary("_hparams_/experiment",
                                      plugin_data_pb2.HParamsPluginData(version=0, experiment=experiment)).hex(),
        "session_start_summary": summary("_hparams_/session_start_info",
                                         plugin_data_pb2.HParamsPluginData(version=0, session_start_info=start)).hex(),
    }
    with open("hparams.json", "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
