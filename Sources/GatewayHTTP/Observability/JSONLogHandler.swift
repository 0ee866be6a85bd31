package import Foundation
import Gateway
package import Logging
import Transport

/// swift-log backend writing one JSON object per line: `time`, `level`, `label`, `message`, then the
/// metadata (request id, traceparent, client id, operation, outcome, …) as string members. Secrets cannot
/// reach it in clear: `AccessToken` renders as `<redacted>` wherever it is interpolated.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    private let label: String
    private let sink: LogSink

    package init(label: String, sink: LogSink = .standardError) {
        self.label = label
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        self.sink.write(
            Self.line(
                time: Date(), level: event.level, label: self.label, message: "\(event.message)", metadata: merged))
    }

    /// UTC with milliseconds, e.g. `2026-01-31T12:00:00.123Z`.
    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// One line of JSON. Metadata keys are sorted so lines diff well; the fixed members come first.
    package static func line(
        time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> [UInt8] {
        var members: [(String, JSONValue)] = [
            ("time", .string(Self.timeStyle.format(time))),
            ("level", .string(level.rawValue)), ("label", .string(label)), ("message", .string(message)),
        ]
        for key in metadata.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            if let value = metadata[key] { members.append((key, Self.json(value))) }
        }
        return JSONValue.object(members).serialized + [UInt8(ascii: "\n")]
    }

    private static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let values): return .array(values.map(Self.json))
        case .dictionary(let members):
            return .object(members.sorted { $0.key < $1.key }.map { ($0.key, Self.json($0.value)) })
        }
    }
}

/// Where log lines go: standard error,
/// or an in-memory buffer for tests.
package struct LogSink: Sendable {
    let write: @Sendable ([UInt8]) -> Void

    package init(write: @escaping @Sendable ([UInt8]) -> Void) {
        self.write = write
    }

    /// FileHandle writes the whole line before returning, so concurrent lines do not interleave mid-line.
    package static let standardError = LogSink { line in
        FileHandle.standardError.write(Data(line))
    }
}

/// Installs the process's log backend from the configuration: `json` (one object per line) or `text`.
package enum LogBootstrap {
    package static func install(format: String, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            if format == "json" {
                handler = JSONLogHandler(label: label)
            } else {
                handler = StreamLogHandler.standardError(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}
