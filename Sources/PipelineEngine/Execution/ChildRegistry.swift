import Foundation

/// The commands stages are running right now, so an interrupted run can stop them before it exits.
public final class ChildRegistry: @unchecked Sendable {
    public static let shared = ChildRegistry()

    /// Start each command in its own process group, so `terminateAll` reaches what it started too. Set by
    /// the CLI's Ctrl-C handler; off elsewhere (a Slurm array task's commands stay in the task's group,
    /// which `proctrack/pgid` clusters signal on `scancel`).
    public var separateProcessGroups: Bool {
        get { lock.lock(); defer { lock.unlock() }; return groups }
        set { lock.lock(); groups = newValue; lock.unlock() }
    }
    private var groups = false
    private var running = Set<pid_t>()
    private var stopping = false
    private let lock = NSLock()

    /// Calls `spawn` (which returns the new child's pid) unless the run is stopping, and records the child.
    /// A child that starts while `terminateAll` is under way is killed at once.
    func spawning(_ spawn: () throws -> pid_t) throws {
        // Spawn outside the lock: stage threads must not queue behind each other's fork.
        if isStopping { throw StageError("the run is being interrupted") }
        let pid = try spawn()
        lock.lock()
        running.insert(pid)
        let late = stopping
        lock.unlock()
        if late { signal(pid, SIGKILL) }
    }

    /// The command's process group when it leads one, else the command alone.
    private func signal(_ pid: pid_t, _ sig: Int32) {
        if separateProcessGroups { kill(-pid, sig) } else { kill(pid, sig) }
    }

    private var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    /// The child has been waited for.
    func reaped(_ pid: pid_t) {
        lock.lock(); running.remove(pid); lock.unlock()
    }

    /// Number of commands running now.
    public var count: Int { lock.lock(); defer { lock.unlock() }; return running.count }

    /// Stops every running command and keeps new ones from starting: SIGTERM to each command's process
    /// group, then SIGKILL to the groups still alive after `grace` seconds. Returns when every command is
    /// gone (reaped by the stage waiting for it, or signalled with SIGKILL).
    public func terminateAll(grace: Double = 2) {
        lock.lock()
        stopping = true
        let pids = running
        lock.unlock()
        for pid in pids { signal(pid, SIGTERM) }
        let deadline = ResourceUsage.now() + grace
        while count > 0 && ResourceUsage.now() < deadline { usleep(10_000) }
        lock.lock(); let left = running; lock.unlock()
        for pid in left { signal(pid, SIGKILL) }
        // The stage threads reap them; wait briefly so their process groups are gone when we return.
        let reapDeadline = ResourceUsage.now() + 1
        while count > 0 && ResourceUsage.now() < reapDeadline { usleep(5_000) }
    }
}
