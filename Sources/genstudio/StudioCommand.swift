import ArgumentParser
import Foundation
import StudioCore
import StudioServer

/// `genstudio studio`: the web app over a runs folder.
struct StudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studio",
        abstract: "Serve a web app to watch runs, compare them, look at and listen to samples, and sample checkpoints.",
        discussion: """
            Serves the run directories under --runs (nested as outputs/<recipe>/<run> or flat), evaluation \
            reports and augmentation jobs. It binds to 127.0.0.1 unless --host says otherwise, serves only \
            files under --runs, and writes only the samples asked for, under each run's studio-samples/.
            """)

    @Option(help: "The folder of run directories.")
    var runs: String = "outputs"

    @Option(help: "The address to listen on (127.0.0.1: this machine only).")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port: Int = 8080

    @OptionGroup var compute: ThreadsOptionGroup

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535, got \(port)") }
    }

    func run() throws {
        compute.apply()
        let server = try StudioServer(runs: URL(fileURLWithPath: runs))
        if host != "127.0.0.1" && host != "localhost" && host != "::1" {
            FileHandle.standardError.write(Data("warning: --host \(host) lets other machines reach the studio; it has no login, and anyone who can reach it can read every file under \(server.folder.root.path) and start sample jobs\n".utf8))
        }
        print("genstudio studio: http://\(host):\(port)/ over \(server.folder.root.path) (Ctrl-C stops)")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: (any Error)?
        Task {
            do { try await server.application(host: host, port: port).runService() } catch { failure = error }
            done.signal()
        }
        done.wait()
        if let failure { throw failure }
    }
}
