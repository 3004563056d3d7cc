import Foundation
import PackagePlugin

/// Writes `BuildCommit.swift` (`let buildCommit = "<short hash>[-dirty]"`) into the genstudio target
/// before every build, so that `genstudio --version` names the commit it was built from. Outside a
/// git checkout of this package (a tarball) or without git the commit is "unknown"; the file is rewritten only when
/// the text changes, so an unchanged checkout recompiles nothing.
@main
struct BuildCommitPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("BuildCommit")
        return [.prebuildCommand(displayName: "Recording the git commit of \(target.name)",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", Self.script, "sh", context.package.directoryURL.path, output.path],
                                 outputFilesDirectory: output)]
    }

    /// $1 the package root, $2 the output directory.
    static let script = #"""
        PATH="$PATH:/usr/local/bin:/usr/bin:/bin"
        mkdir -p "$2"
        commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
        # A tarball unpacked inside another repository must not take that repository's commit.
        if [ "$(git -C "$1" rev-parse --show-toplevel 2>/dev/null)" != "$(cd "$1" && pwd -P)" ]; then commit=unknown; fi
        if [ "$commit" != unknown ] && [ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
          commit="$commit-dirty"
        fi
        text="/// The git commit genstudio was built from (\"unknown\" outside a git checkout).
        let buildCommit = \"$commit\""
        if [ "$(cat "$2/BuildCommit.swift" 2>/dev/null)" != "$text" ]; then
          printf '%s\n' "$text" > "$2/BuildCommit.swift"
        fi
        """#
}
