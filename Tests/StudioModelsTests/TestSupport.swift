import Foundation
import XCTest

/// The committed fixtures of the model tests, each beside the script that made it.
enum Fixtures {
    static var directory: URL {
        get throws {
            try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "the test bundle has no Fixtures")
        }
    }
}
