#if canImport(Glibc)
import Glibc
#endif

/// glibc's pthread_setname_np(3), which Glibc's module map hides behind `_GNU_SOURCE`.
@_silgen_name("pthread_setname_np")
private func glibcSetThreadName(_ thread: pthread_t, _ name: UnsafePointer<CChar>) -> Int32

/// Starts blocking work on its own POSIX thread, in place of Foundation's `Thread` (not part of
/// FoundationEssentials): socket waits and libcurl or libunbound loops then never hold a Swift
/// concurrency thread.
public enum DetachedThread {
    /// Runs `body` on a new detached thread with a stack of `stackSize` bytes (1 MiB by default, as
    /// the callers used with `Thread.stackSize`), named `name` (at most 15 bytes kept, the kernel's limit).
    /// Stops the process when the thread cannot be created (no memory or thread limit reached), as
    /// `Thread.start()` does.
    public static func start(name: String? = nil, stackSize: Int = 1 << 20, _ body: @escaping @Sendable () -> Void) {
        final class Box {
            let name: String?
            let body: @Sendable () -> Void
            init(_ name: String?, _ body: @escaping @Sendable () -> Void) { self.name = name; self.body = body }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, &attributes, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            if let name = box.name { _ = glibcSetThreadName(pthread_self(), String(decoding: name.utf8.prefix(15), as: UTF8.self)) }
            box.body()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            fatalError("pthread_create: \(String(cString: strerror(status)))")
        }
    }
}
