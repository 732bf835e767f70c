/// The lifecycle of every stage of a run, and nothing about how a stage executes: the runner asks it which
/// stages are ready and tells it how each ended. O(stages + edges) over a whole run.
public struct StageStateMachine: Sendable {
    public enum State: Equatable, Sendable {
        case waiting, ready, running
        /// Ran and committed its record.
        case done
        /// Reused a committed record.
        case cached
        case failed
        /// Not run because a stage it depends on failed.
        case skipped
        /// Not run because the run stopped early (fail fast).
        case cancelled

        public var isFinal: Bool { ![.waiting, .ready, .running].contains(self) }
    }

    public private(set) var states: [State]
    private var unfinishedDependencies: [Int]
    private let dependents: [[Int]]
    private var readyQueue: [Int] = []
    private var readyHead = 0
    public private(set) var runningCount = 0

    /// `dependencies[i]` lists the stages stage `i` waits for.
    public init(dependencies: [[Int]]) {
        let n = dependencies.count
        states = [State](repeating: .waiting, count: n)
        unfinishedDependencies = dependencies.map(\.count)
        var d = [[Int]](repeating: [], count: n)
        for i in 0..<n { for j in dependencies[i] { d[j].append(i) } }
        dependents = d
        for i in 0..<n where unfinishedDependencies[i] == 0 { enqueue(i) }
    }

    private mutating func enqueue(_ i: Int) {
        states[i] = .ready
        readyQueue.append(i)
    }

    /// The next ready stage in spec order of readiness, or nil.
    public mutating func nextReady() -> Int? {
        while readyHead < readyQueue.count {
            let i = readyQueue[readyHead]
            readyHead += 1
            if states[i] == .ready { return i }
        }
        if readyHead > 1024 && readyHead == readyQueue.count { readyQueue.removeAll(keepingCapacity: true); readyHead = 0 }
        return nil
    }

    /// A ready stage was handed to an executor.
    public mutating func start(_ i: Int) {
        precondition(states[i] == .ready, "stage \(i) started while \(states[i])")
        states[i] = .running
        runningCount += 1
    }

    /// A stage ended as `.done`, `.cached`, `.failed` or `.cancelled` (handed over, never started). Success
    /// releases its dependents; failure skips everything downstream.
    public mutating func finish(_ i: Int, as outcome: State) {
        precondition([.done, .cached, .failed, .cancelled].contains(outcome), "finish needs done, cached, failed or cancelled")
        precondition(states[i] == .running || states[i] == .ready, "stage \(i) finished while \(states[i])")
        if states[i] == .running { runningCount -= 1 }
        states[i] = outcome
        if outcome == .cancelled { return }  // handed over but never started; the run is stopping
        if outcome == .failed {
            var stack = dependents[i]
            while let k = stack.popLast() {
                if states[k] == .waiting || states[k] == .ready { states[k] = .skipped; stack.append(contentsOf: dependents[k]) }
            }
            return
        }
        for k in dependents[i] {
            unfinishedDependencies[k] -= 1
            if unfinishedDependencies[k] == 0 && states[k] == .waiting { enqueue(k) }
        }
    }

    /// Stops the run: every stage not yet started is cancelled; running ones may still finish.
    public mutating func cancelPending() {
        for i in states.indices where states[i] == .waiting || states[i] == .ready { states[i] = .cancelled }
    }

    /// True when nothing is running and nothing more can start.
    public var isFinished: Bool {
        runningCount == 0 && !states.contains { $0 == .ready || $0 == .running }
    }

    public func count(_ s: State) -> Int { states.reduce(0) { $0 + ($1 == s ? 1 : 0) } }
}
