import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real HTTP server on 127.0.0.1 that answers every request with a status line and
/// headers at once, then sends its body one byte every `interval`: never idle long
/// enough for an idle timeout, never done. For tests of overall request deadlines.
public final class TricklingHTTPServer: @unchecked Sendable {
    public let port: Int
    private let listener: Int32
    private let interval: TimeInterval
    private let lock = NSLock()
    private var stopped = false
    private var connections: [Int32] = []
    private var accepted = 0

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Connections accepted so far.
    public var connectionCount: Int { lock.withLock { accepted } }

    public init(interval: TimeInterval = 0.2) throws {
        self.interval = interval
        let fd = socket(AF_INET, Self.streamType, 0)
        guard fd >= 0 else { throw TestEnvironmentError("socket(): \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw TestEnvironmentError("bind/listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            let keep: Bool = lock.withLock {
                guard !stopped else { return false }
                connections.append(connection)
                accepted += 1
                return true
            }
            guard keep else { close(connection); return }
            Thread.detachNewThread { [self] in trickle(connection) }
        }
    }

    private func trickle(_ connection: Int32) {
        defer { close(connection) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        _ = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
        let head = Array("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n".utf8)
        guard head.withUnsafeBytes({ send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) > 0 else { return }
        while lock.withLock({ !stopped }) {
            Thread.sleep(forTimeInterval: interval)
            var byte = UInt8(ascii: " ")
            guard send(connection, &byte, 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
        }
    }

    public func stop() {
        let open: [Int32] = lock.withLock {
            guard !stopped else { return [] }
            stopped = true
            return connections
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for connection in open { shutdown(connection, Int32(SHUT_RDWR)) }
    }

    deinit {
        stop()
    }

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    private static let streamType = SOCK_STREAM
    #endif
}
