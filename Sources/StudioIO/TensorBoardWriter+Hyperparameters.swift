import Foundation

/// One hyperparameter's value as TensorBoard's HParams dashboard shows it.
public enum HyperparameterValue: Equatable, Sendable {
    case number(Double)
    case string(String)
    case bool(Bool)
}

extension TensorBoardWriter {
    /// Records a run's hyperparameters and the scalar tags to compare runs by, as the HParams
    /// plugin reads them (what PyTorch's `SummaryWriter.add_hparams` writes): one event holding the
    /// experiment (every name with its type, every metric tag) and one holding this session's values.
    public func addHyperparameters(_ values: [String: HyperparameterValue], metrics: [String],
                                   wallTime: Double = Date().timeIntervalSince1970) throws {
        let names = values.keys.sorted()
        var experiment = ProtobufWriter()
        for name in names {
            var info = ProtobufWriter()
            info.string(1, name)
            info.int64(4, values[name]!.dataType)
            experiment.message(4, info)
        }
        for tag in metrics {
            var metricName = ProtobufWriter()
            metricName.string(2, tag)
            var info = ProtobufWriter()
            info.message(1, metricName)
            experiment.message(5, info)
        }
        var start = ProtobufWriter()
        for name in names {
            var entry = ProtobufWriter()
            entry.string(1, name)
            entry.message(2, values[name]!.protobuf)
            start.message(1, entry)
        }
        start.double(5, wallTime)
        try addPluginData(tag: "_hparams_/experiment", field: 2, experiment, wallTime: wallTime)
        try addPluginData(tag: "_hparams_/session_start_info", field: 3, start, wallTime: wallTime)
    }

    /// A summary value that carries `message` as field `field` of `HParamsPluginData` (version 0).
    private func addPluginData(tag: String, field: Int, _ message: ProtobufWriter, wallTime: Double) throws {
        var content = ProtobufWriter()
        content.message(field, message)
        var pluginData = ProtobufWriter()
        pluginData.string(1, "hparams")
        pluginData.bytes(2, content.bytes)
        var metadata = ProtobufWriter()
        metadata.message(1, pluginData)
        var summaryValue = ProtobufWriter()
        summaryValue.string(1, tag)
        summaryValue.message(9, metadata)
        try addSummary(summaryValue, step: 0, wallTime: wallTime)
    }
}

extension HyperparameterValue {
    /// The HParams plugin's `DataType`: string 1, bool 2, float64 3.
    var dataType: Int64 {
        switch self {
        case .string: 1
        case .bool: 2
        case .number: 3
        }
    }

    /// A `google.protobuf.Value`.
    var protobuf: ProtobufWriter {
        var value = ProtobufWriter()
        switch self {
        case .number(let number): value.double(2, number)
        case .string(let text): value.string(3, text)
        case .bool(let flag): value.int64(4, flag ? 1 : 0)
        }
        return value
    }
}
