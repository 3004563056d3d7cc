/// What `genstudio --version` prints: the release number kept here and the commit the build-tool
/// plugin (Plugins/BuildCommit) records at build time.
enum Version {
    /// The release number; raise it when a release changes what users see.
    static let number = "0.1.0"

    /// `genstudio 0.1.0 (commit 0123456789ab)`.
    static var description: String { "genstudio \(number) (commit \(buildCommit))" }
}
