#if canImport(Glibc)
import Glibc
#endif

/// SIGPIPE held back on the calling thread while `body` runs: libssl writes to its sockets with write(2), and
/// a peer that closes mid-handshake would otherwise end the whole process with SIGPIPE. Only this thread's
/// signal mask changes, and only for the call: a library does not change process-wide settings (the
/// executables ignore SIGPIPE in their `main`, `AgentCommand.main`). A SIGPIPE raised meanwhile is taken
/// off the thread's pending set (sigtimedwait, no wait) before the mask is restored, so it is never
/// delivered; the write that raised it has already failed with EPIPE, which the caller handles.
enum PipeSignal {
    static func held<T>(_ body: () -> T) -> T {
        var pipe = sigset_t()
        sigemptyset(&pipe)
        sigaddset(&pipe, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipe, &previous)
        defer {
            if sigismember(&previous, SIGPIPE) == 0 {
                var zero = timespec(tv_sec: 0, tv_nsec: 0)
                var pending = sigset_t()
                while sigpending(&pending) == 0, sigismember(&pending, SIGPIPE) == 1, sigtimedwait(&pipe, nil, &zero) == SIGPIPE {}
                pthread_sigmask(SIG_SETMASK, &previous, nil)
            }
        }
        return body()
    }
}
