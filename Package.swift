// swift-tools-version:6.2
import PackageDescription

// The compiler enforces the layering: every import is declared where it is used (MemberImportVisibility) and is
// internal unless a file says `public import` (InternalImportsByDefault).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "signing-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "signing-gateway", targets: ["signing-gateway"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Already built for Hummingbird; the simulator's network faults sit on its HTTP part types.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // The simulator serves TLS with HTTP/2 by ALPN, as production Altinn does.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        // Kept wide: postgres-nio and jwt-kit depend on swift-crypto too (jwt-kit narrows it to 4.x).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Metrics API in the libraries; the Prometheus backend only in the HTTP app (`GET /metrics`).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // YAML configuration files (operators keep them next to Kubernetes manifests).
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // libcurl, linked from the system (libcurl4-openssl-dev), plus static inline wrappers
        // for the variadic calls Swift cannot import.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libsqlite3, linked from the system (libsqlite3-dev), plus static inline wrappers for the
        // macros Swift cannot import (SQLITE_TRANSIENT).
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Byte-level helpers every layer shares: lowercase hex, constant-time comparison, JSON escaping, the
        // index upstream answers are read from, a cache of handles made once. No dependencies.
        .target(
            name: "Primitives",
            swiftSettings: swiftSettings
        ),
        // The durable store: idempotency keys and the hash-chained audit log, on SQLite or PostgreSQL.
        .target(
            name: "Storage",
            dependencies: [
                "Primitives",
                "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Standard Webhooks sending logic: secrets, signatures, retry timing, verdicts, SSRF guard.
        // Pure logic: knows nothing about Altinn, HTTP servers or storage.
        .target(
            name: "Webhooks",
            dependencies: [
                "Primitives",
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: swiftSettings
        ),
        // The upstream transport seam: request, response, failure kinds and trace context. No dependencies beyond
        // HTTP types, so what makes outbound calls does not link libcurl; only the composition root does.
        .target(
            name: "Transport",
            dependencies: [
                "Primitives",
                .product(name: "HTTPTypes", package: "swift-http-types")
            ],
            swiftSettings: swiftSettings
        ),
        // Async HTTP client over curl_multi, the production `HTTPTransport`. Knows nothing about Altinn.
        .target(
            name: "CurlHTTP",
            dependencies: [
                "CCurl",
                "Transport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Altinn wire models and the typed app-API client. Knows no use case.
        .target(
            name: "AltinnAPI",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                "Primitives",
                "Transport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Token profiles and providers.
        .target(
            name: "Tokens",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                "Transport",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Use cases: sign, process next, signing state, normalization. No HTTP server types.
        .target(
            name: "Gateway",
            dependencies: [
                "Primitives",
                "Webhooks",
                .product(name: "Metrics", package: "swift-metrics"),
                "AltinnAPI",
                "Transport",
                "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
                "Tokens",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Hummingbird application: routes, middleware, problem mapping. No configuration, no libcurl.
        .target(
            name: "GatewayHTTP",
            dependencies: [
                "Primitives",
                "Webhooks",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                "Gateway",
                "Storage",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "AltinnAPI",
                "Transport",
                "Tokens",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/console")],
            swiftSettings: swiftSettings
        ),
        // The composition root: configuration (file, environment, checks), the wiring of the parts, and the
        // background services. The only library that links libcurl's client.
        .target(
            name: "App",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                "GatewayHTTP",
                "Gateway",
                "Storage",
                "Webhooks",
                "AltinnAPI",
                "CurlHTTP",
                "Transport",
                "Tokens",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // A local Altinn: the other side of the wire. Imports none of the gateway's modules.
        .target(
            name: "AltinnSimulator",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // mallopt, which Swift's Glibc module does not export.
        .target(name: "CMallocTuning"),
        .executableTarget(
            name: "signing-gateway",
            dependencies: [
                "CMallocTuning",
                "AltinnAPI",
                "CurlHTTP",
                "Gateway",
                "Tokens",
                "Webhooks",
                "GatewayHTTP",
                "App",
                "Transport",
                "AltinnSimulator",
                "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CurlHTTPTests",
            dependencies: [
                "CurlHTTP",
                "Transport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PrimitivesTests",
            dependencies: ["Primitives"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TransportTests",
            dependencies: ["Transport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "App", "GatewayHTTP", "AltinnAPI", "Storage", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebhooksTests",
            dependencies: ["Webhooks"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AltinnAPITests",
            dependencies: ["AltinnAPI", "Transport", "Tokens"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokensTests",
            dependencies: [
                "Tokens", "AltinnSimulator", "CurlHTTP", "Transport",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["Gateway", "AltinnAPI", "Tokens", "Transport", "Storage", "Webhooks"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AltinnSimulatorTests",
            dependencies: [
                "AltinnSimulator",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Storage",
                "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP layer in process, without sockets.
        .testTarget(
            name: "GatewayHTTPTests",
            dependencies: [
                "GatewayHTTP", "Storage", "Primitives",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Webhooks",
                "GatewayHTTP", "App", "AltinnSimulator", "CurlHTTP", "Transport", "Gateway", "Tokens", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
