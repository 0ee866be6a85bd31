import HTTPTypes
import Hummingbird

/// One paging convention for every list: the answer's `Next-Cursor` header is what to pass as `after` for the
/// following page. Lists leave it out on their last page; the event feed always has it (more events come).
extension Response {
    func nextCursor(_ cursor: String?) -> Response {
        var response = self
        if let cursor { response.headers[.nextCursor] = cursor }
        return response
    }
}

extension HTTPField.Name {
    static let nextCursor = Self("Next-Cursor")!
}
