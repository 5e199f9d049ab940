import Testing

@testable import KeelShipping

@Suite struct SendWindowTests {
    func at(_ offset: Int) -> SpoolPosition { SpoolPosition(segment: 1, offset: offset) }

    @Test func batchesAreAcknowledgedInTheOrderTheyWereTakenWhateverOrderTheyFinish() {
        var window = SendWindow<String>(limit: 3)
        window.took(end: at(10))
        window.took(end: at(20))
        window.took(end: at(30))
        #expect(!window.hasRoom)
        #expect(window.next == at(30))
        // The last answered first: nothing can be acknowledged before the first is.
        #expect(window.finished(end: at(30), "c").isEmpty)
        #expect(window.finished(end: at(20), "b").isEmpty)
        #expect(!window.hasRoom)
        #expect(window.finished(end: at(10), "a") == ["a", "b", "c"])
        #expect(window.inFlight == 0)
        #expect(window.hasRoom)
    }

    @Test func aFinishedPrefixIsAcknowledgedAndFreesItsRoomWhileALaterBatchIsStillOut() {
        var window = SendWindow<Int>(limit: 2)
        window.took(end: at(10))
        window.took(end: at(20))
        #expect(window.finished(end: at(10), 1) == [1])
        #expect(window.hasRoom)
        window.took(end: at(30))
        #expect(window.finished(end: at(30), 3).isEmpty)
        #expect(window.finished(end: at(20), 2) == [2, 3])
    }

    @Test func unknownOrRepeatedFinishesChangeNothing() {
        var window = SendWindow<Int>(limit: 2)
        window.took(end: at(10))
        #expect(window.finished(end: at(99), 9).isEmpty)
        #expect(window.finished(end: at(10), 1) == [1])
        #expect(window.finished(end: at(10), 1).isEmpty)
        #expect(window.inFlight == 0)
    }

    @Test func aResetReadsFromTheAcknowledgedPositionAgainAndALimitBelowOneIsOne() {
        var window = SendWindow<Int>(limit: 0)
        #expect(window.limit == 1)
        window.took(end: at(10))
        #expect(!window.hasRoom)
        window.reset()
        #expect(window.next == nil)
        #expect(window.hasRoom)
    }
}

/// What a server's answer to an accepted batch says about its lines.
@Suite struct AnswerAccountingTests {
    @Test func keelServesAnswerGivesItsRefusedAndDuplicateCountsAndNonsenseCountsNothing() {
        func accounting(_ text: String) -> (Int, Int) {
            let (refused, duplicates) = BatchSender.accounting(of: Array(text.utf8), format: .keel)
            return (refused, duplicates)
        }
        #expect(accounting(#"{"stored":7,"duplicates":3,"refused":2,"errors":[]}"#) == (2, 3))
        #expect(accounting(#"{"stored":10,"duplicates":0,"refused":0}"#) == (0, 0))
        #expect(accounting(#"{"duplicates":-4,"refused":1e300}"#) == (Int(1e15), 0))
        #expect(accounting("not json") == (0, 0))
        #expect(accounting("") == (0, 0))
        #expect(BatchSender.accounting(of: Array(#"{"duplicates":3}"#.utf8), format: .loki) == (0, 0))
    }
}
