import Crypto
import Foundation
import Keel

/// The web UI's files, compiled into the binary (`Package.swift` embeds `UI/Assets/`): each named by a hash of its
/// contents (`app.3f2a….js`), so that a browser keeps it for good and a new build's is a new name, and gzip-compressed
/// once, at start. The page (`index.html`) names them by those names.
struct WebAssets: Sendable {
    struct Asset: Sendable {
        let contentType: String
        let bytes: [UInt8]
        let gzipped: [UInt8]
    }

    /// Each asset by the name the page asks for it by (`/ui/assets/<name>`).
    let assets: [String: Asset]
    /// The page, its `{{app.js}}`-style placeholders replaced by the assets' paths.
    let page: Asset

    static let shared = WebAssets()

    init() {
        var assets: [String: Asset] = [:]
        var page = String(decoding: PackageResources.index_html, as: UTF8.self)
        for (name, bytes, type) in [
            ("app.js", PackageResources.app_js, "text/javascript; charset=utf-8"),
            ("app.css", PackageResources.app_css, "text/css; charset=utf-8"),
        ] {
            let hash = Hex.lowercase(SHA256.hash(data: bytes).prefix(8))
            let dot = name.lastIndex(of: ".")!
            let hashed = name[..<dot] + "." + hash + name[dot...]
            assets[String(hashed)] = Asset(contentType: type, bytes: bytes, gzipped: Gzip.compress(bytes))
            page = page.replacingOccurrences(of: "{{\(name)}}", with: "/ui/assets/\(hashed)")
        }
        self.assets = assets
        let bytes = Array(page.utf8)
        self.page = Asset(contentType: "text/html; charset=utf-8", bytes: bytes, gzipped: Gzip.compress(bytes))
    }
}
