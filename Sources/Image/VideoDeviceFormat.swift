// SPDX-License-Identifier: Apache-2.0
internal import CShims
import Glibc
import RemoteFD
import SystemPackage

/// The format a V4L2 video device captures in, as `VIDIOC_G_FMT` reports it
/// (`v4l2_pix_format`, or the first plane of `v4l2_pix_format_mplane`).
public struct V4L2CaptureFormat: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Bytes per row (of the first plane).
    public var bytesPerLine: Int
    /// The V4L2 fourcc (`V4L2_PIX_FMT_*`).
    public var pixelFormatCode: UInt32
    /// Bytes of one frame (of the first plane).
    public var sizeImage: Int
    /// 1, or the planes of a multi-planar format (each its own buffer).
    public var planes: Int
    /// The driver and card names (`VIDIOC_QUERYCAP`).
    public var driver: String
    public var card: String

    /// The V4L2 fourcc's text ("YUYV", "RGB3", …).
    public var fourcc: String { fourccText(pixelFormatCode) }

    /// The `PixelFormat` laid out as this V4L2 format, if supported.
    public var pixelFormat: PixelFormat? { PixelFormat(v4l2: pixelFormatCode) }

    /// Asks `fd`, an open V4L2 device, with `VIDIOC_QUERYCAP` and
    /// `VIDIOC_G_FMT`: read-only, nothing about the device changes.
    /// `ENOTTY`: not a V4L2 device; `ENODEV`: it does not capture video.
    public static func query(_ fd: FileDescriptor) throws(Errno) -> V4L2CaptureFormat {
        var f = rfd_v4l2_capture_format()
        guard rfd_v4l2_capture_format(fd.rawValue, &f) == 0 else { throw Errno(rawValue: Glibc.errno) }
        func text<T>(_ tuple: T) -> String {
            withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return V4L2CaptureFormat(width: Int(f.width), height: Int(f.height), bytesPerLine: Int(f.bytesperline),
                                 pixelFormatCode: f.pixelformat, sizeImage: Int(f.sizeimage), planes: Int(f.planes),
                                 driver: text(f.driver), card: text(f.card))
    }

    /// "YUYV 640x360 stride 1280".
    public var summary: String { "\(fourcc) \(width)x\(height) stride \(bytesPerLine)" }
}

/// A frame's format found rather than given (`--format auto`), and where
/// it came from, in words.
public struct DiscoveredFrameFormat: Sendable, Equatable {
    public var format: PixelFormat
    public var geometry: FrameGeometry
    /// "VIDIOC_G_FMT on pid 1234 fd 4 /dev/video0".
    public var source: String

    /// "YUYV 640x360 stride 1280 (VIDIOC_G_FMT on pid 1234 fd 4 /dev/video0)".
    public var summary: String {
        "\(format) \(geometry) stride \(geometry.stride(for: format)) (\(source))"
    }
}

/// Telling a dma-buf's frame format from the V4L2 device its owner captures
/// with.
///
/// A V4L2 driver exports its capture buffers as dma-bufs
/// (`VIDIOC_EXPBUF`); the process streaming them also holds the video
/// device (`/dev/videoN`: a character device, major 81), whose current
/// format (`VIDIOC_G_FMT`) is the buffers' format. Each such fd of the
/// owner is adopted through `backend` (the permission check is the
/// adoption's) and asked, read-only; devices that do not capture (output,
/// VBI, radio, sub-devices) are passed over.
public enum VideoDeviceFormat {
    /// One video device of the owner that answered.
    public struct Device: Sendable, Equatable {
        public var fd: Int32
        public var path: String
        public var format: V4L2CaptureFormat
    }

    /// The owner's capture devices and their formats (empty: none).
    public static func devices(of target: TargetProcess, backend: any AcquisitionBackend) throws(AdoptError) -> [Device] {
        var found: [Device] = []
        for (fd, path) in characterDevices(of: target.pid, major: rfd_v4l2_major()) {
            let acquired: AcquiredFD
            do {
                acquired = try backend.acquire(fd: fd, of: target)
            } catch where error.reason == .fdNotOpen {
                continue  // closed meanwhile
            }
            defer { try? acquired.descriptor.close() }
            guard let format = try? V4L2CaptureFormat.query(acquired.descriptor) else { continue }
            found.append(Device(fd: fd, path: path, format: format))
        }
        return found
    }

    /// The one capture format of the owner's video devices, as a
    /// `PixelFormat` and geometry (offset 0, the device's stride). Throws
    /// `FrameError.formatUnknown` when it cannot tell: no capture device
    /// (`ENODEV`), several with different formats (`EINVAL`), a V4L2
    /// format `PixelFormat` does not have or a multi-planar one (`ENOTSUP`).
    public static func discover(owner target: TargetProcess, backend: any AcquisitionBackend) throws -> DiscoveredFrameFormat {
        let devices = try devices(of: target, backend: backend)
        guard let first = devices.first else {
            throw FrameError.formatUnknown(
                "pid \(target.pid) holds no V4L2 capture device (/dev/videoN, character major 81): the format cannot be told",
                .operationNotSupportedByDevice)
        }
        let differing = devices.filter { $0.format != first.format }
        guard differing.isEmpty else {
            let list = devices.map { "fd \($0.fd) \($0.path) \($0.format.summary)" }.joined(separator: ", ")
            throw FrameError.formatUnknown("pid \(target.pid) holds video devices capturing in different formats (\(list)): the format cannot be told", .invalidArgument)
        }
        let f = first.format
        let source = "VIDIOC_G_FMT on pid \(target.pid) fd \(first.fd) \(first.path)"
        guard f.planes == 1 else {
            throw FrameError.formatUnknown("\(source): \(f.summary) is multi-planar (\(f.planes) planes, each its own buffer): not supported", .notSupported)
        }
        guard let format = f.pixelFormat else {
            throw FrameError.formatUnknown("\(source): pixel format \(f.fourcc) is not supported (supported: YUYV UYVY NV12 YU12 RGB3 BGR3 XR24 AR24 BGR4 XB24 AB24 RGBP GREY)", .notSupported)
        }
        return DiscoveredFrameFormat(format: format,
                                     geometry: FrameGeometry(width: f.width, height: f.height, stride: f.bytesPerLine),
                                     source: source)
    }

    /// The fds of `pid` that are character devices of `major`, with their
    /// paths (as /proc/PID/fd shows them), in fd order.
    static func characterDevices(of pid: pid_t, major: UInt32) -> [(Int32, String)] {
        guard let dir = opendir("/proc/\(pid)/fd") else { return [] }
        defer { closedir(dir) }
        var result: [(Int32, String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let fd = Int32(name) else { continue }
            let path = "/proc/\(pid)/fd/\(name)"
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR,
                  UInt32((st.st_rdev >> 8) & 0xfff) == major else { continue }
            var link = [CChar](repeating: 0, count: 4096)
            let n = readlink(path, &link, link.count - 1)
            result.append((fd, n > 0 ? String(decoding: link[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : path))
        }
        return result.sorted { $0.0 < $1.0 }
    }
}
