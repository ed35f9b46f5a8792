import Foundation

/// Writes straight to file descriptors 1 and 2 with write(2): no stdio buffer, so lines
/// never arrive out of order when stdout and stderr share a pipe or when child processes
/// write to the same terminal.
enum StandardStreams {
    static func write(_ text: String) {
        writeAll(text, to: STDOUT_FILENO)
    }

    /// Text as it is, to stderr: progress when stdout carries a JSON document.
    static func writeErrorText(_ text: String) {
        writeAll(text, to: STDERR_FILENO)
    }

    static func writeError(_ lines: [String]) {
        writeAll(lines.joined(separator: "\n") + "\n", to: STDERR_FILENO)
    }

    private static func writeAll(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // A closed pipe (`| head`): nothing more can be shown.
                }
                offset += written
            }
        }
    }
}
