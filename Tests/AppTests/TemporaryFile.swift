import Foundation

/// A configuration (or any text) written to a file of its own directory under the temporary directory; its path.
func temporaryFile(_ text: String, named name: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
