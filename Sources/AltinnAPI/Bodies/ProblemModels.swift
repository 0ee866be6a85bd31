/// ASP.NET `ProblemDetails` with Altinn's flattened `validationIssues` extension.
package struct AltinnProblemDetails: Decodable, Sendable, Equatable {
    package var type: String?
    package var title: String?
    package var status: Int?
    package var detail: String?
    package var validationIssues: [ValidationIssue]?
}

/// `ValidationIssueWithSource`. `severity` is a number: 1 Error, 2 Warning, 3 Informational, ...
package struct ValidationIssue: Codable, Sendable, Equatable {
    package var severity: Int
    package var code: String?
    package var description: String?
    package var field: String?
    package var dataElementId: String?
    package var source: String?

    package init(
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

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.severity = try container.decodeIfPresent(Int.self, forKey: .severity) ?? 0
        self.code = try container.decodeIfPresent(String.self, forKey: .code)
        self.description = try container.decodeIfPresent(String.self, forKey: .description)
        self.field = try container.decodeIfPresent(String.self, forKey: .field)
        self.dataElementId = try container.decodeIfPresent(String.self, forKey: .dataElementId)
        self.source = try container.decodeIfPresent(String.self, forKey: .source)
    }
}
