import Foundation
import XMLCoder

extension AWSServiceClient {
    /// A Query-protocol call (STS, IAM) whose answer is decoded from its result element.
    ///
    /// Every Query answer wraps its result alike, `<ActionResponse><ActionResult>…
    /// </ActionResult><ResponseMetadata>…</ResponseMetadata></ActionResponse>`, so a call
    /// declares only what is inside `<ActionResult>`.
    func query<Result: Decodable>(
        _ action: String, version: String, parameters: [(String, String)] = [], as type: Result.Type
    ) async throws -> Result {
        let body = try await query(action, version: version, parameters: parameters)
        return try QueryAnswer.decode(type, from: body, action: action, service: service.humanName)
    }
}

/// Decodes Query-protocol answers, turning a shape we did not expect into an `AWSError`
/// that names the operation rather than a decoding error nobody can act on.
enum QueryAnswer {
    static func decode<Result: Decodable>(
        _ type: Result.Type, from body: [UInt8], action: String, service: String
    ) throws -> Result {
        let decoder = XMLDecoder()
        decoder.shouldProcessNamespaces = true
        decoder.keyDecodingStrategy = .convertFromCapitalized
        decoder.userInfo[Envelope<Result>.actionInfo] = action
        do {
            return try decoder.decode(Envelope<Result>.self, from: Data(body)).result
        } catch {
            throw AWSError(service: service, operation: action, code: "UnexpectedResponse",
                           message: "could not read the answer: \(error)")
        }
    }

    /// `<ActionResponse>`, of which only `<ActionResult>` matters.
    private struct Envelope<Wrapped: Decodable>: Decodable {
        var result: Wrapped

        /// The decoder's `userInfo` names the action, which names the result element.
        static var actionInfo: CodingUserInfoKey { CodingUserInfoKey(rawValue: "action")! }

        init(from decoder: any Decoder) throws {
            let action = decoder.userInfo[Self.actionInfo] as? String ?? ""
            let container = try decoder.container(keyedBy: AnswerKey.self)
            result = try container.decode(Wrapped.self, forKey: AnswerKey(awsName: action + "Result"))
        }
    }
}

/// A Query-protocol list: `<List><member>…</member><member>…</member></List>`.
struct Members<Element: Decodable>: Decodable {
    var member: [Element]?
}
