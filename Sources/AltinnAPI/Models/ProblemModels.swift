/// ASP.NET `ProblemDetails` with Altinn's flattened `validationIssues` extension.
public struct AltinnProblemDetails: Decodable, Sendable, Equatable {
    public var type: String?
    public var title: String?
    public var status: Int?
    public var detail: String?
    public var validationIssues: [ValidationIssue]?
}

/// `ValidationIssueWithSource`. `severity` is a number: 1 Error, 2 Warning, 3 Informational, ...
public struct ValidationIssue: Codable, Sendable, Equatable {
    public var severity: Int
    public var code: String?
    public var description: String?
    public var field: String?
    public var dataElementId: String?
    public var source: String?

    public init(
        severity: Int,
        code: String?,
        description: String?,
        field: String? = nil,
        dataElementId: String? = nil,
        source: String? = nil
    ) {
        self.severity = severity
        self.code = code
        self.description = description
        self.field = field
        self.dataElementId = dataElementId
        self.source = source
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.severity = try container.decodeIfPresent(Int.self, forKey: .severity) ?? 0
        self.code = try container.decodeIfPresent(String.self, forKey: .code)
        self.description = try container.decodeIfPresent(String.self, forKey: .description)
        self.field = try container.decodeIfPresent(String.self, forKey: .field)
        self.dataElementId = try container.decodeIfPresent(String.self, forKey: .dataElementId)
        self.source = try container.decodeIfPresent(String.self, forKey: .source)
    }
}
