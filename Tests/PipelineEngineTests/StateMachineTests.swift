import PipelineEngine
import XCTest

/// The state machine alone: readiness, failure propagation, cancellation.
final class StateMachineTests: XCTestCase {
    func testDiamondReleasesInOrder() {
        // 0 -> 1, 0 -> 2, (1, 2) -> 3
        var m = StageStateMachine(dependencies: [[], [0], [0], [1, 2]])
        XCTAssertEqual(m.nextReady(), 0)
        XCTAssertNil(m.nextReady())
        m.start(0)
        m.finish(0, as: .done)
        XCTAssertEqual(m.nextReady(), 1)
        XCTAssertEqual(m.nextReady(), 2)
        m.start(1); m.start(2)
        XCTAssertEqual(m.runningCount, 2)
        m.finish(1, as: .cached)
        XCTAssertNil(m.nextReady())
        m.finish(2, as: .done)
        XCTAssertEqual(m.nextReady(), 3)
        m.start(3)
        m.finish(3, as: .done)
        XCTAssertTrue(m.isFinished)
    }

    func testFailureSkipsDownstreamOnly() {
        // 0 -> 1 -> 2 ; 3 independent
        var m = StageStateMachine(dependencies: [[], [0], [1], []])
        XCTAssertEqual(m.nextReady(), 0)
        XCTAssertEqual(m.nextReady(), 3)
        m.start(0); m.start(3)
        m.finish(0, as: .failed)
        XCTAssertEqual(m.states[1], .skipped)
        XCTAssertEqual(m.states[2], .skipped)
        m.finish(3, as: .done)
        XCTAssertTrue(m.isFinished)
    }

    func testCancelPending() {
        var m = StageStateMachine(dependencies: [[], [], [0]])
        XCTAssertEqual(m.nextReady(), 0)
        m.start(0)
        m.cancelPending()
        XCTAssertEqual(m.states, [.running, .cancelled, .cancelled])
        m.finish(0, as: .done)
        XCTAssertTrue(m.isFinished)
    }
}
