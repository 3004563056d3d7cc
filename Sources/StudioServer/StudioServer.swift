import Foundation
import Hummingbird
import Logging
import StudioIO

/// `genstudio studio`: the web app over a runs folder, its routes and its sample queue.
public struct StudioServer: Sendable {
    /// The runs folder served.
    public let folder: RunsFolder
    /// The sample jobs of this server.
    public let queue: SampleQueue
    let logger: Logger

    /// The app over the runs folder at `runs`; sample jobs are logged and rejected requests too.
    public init(runs: URL, logger: Logger = Logger(label: "genstudio.studio")) throws {
        folder = try RunsFolder(runs)
        queue = SampleQueue(folder: folder)
        self.logger = logger
    }

    /// Every route of the app.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let catalog = RunCatalog(folder: folder)
        let pages = RunPages(catalog: catalog)
        let folder = folder, queue = queue, logger = logger
        let samplePages = SamplePages(folder: folder)

        router.get("/") { request, _ in
            Self.html(pages.runs(filter: request.uri.queryParameters.get("q"), sort: request.uri.queryParameters.get("sort")))
        }
        router.get("/run") { request, _ in
            let url = try Self.runDirectory(request, folder: folder, logger: logger)
            return Self.html(pages.run(url))
        }
        router.get("/compare") { request, _ in
            let paths = request.uri.queryParameters.getAll("path")
            guard paths.count >= 2 else { throw HTTPError(.badRequest, message: "compare takes two or more runs: /compare?path=A&path=B") }
            let urls = try paths.map { try Self.runDirectory($0, folder: folder, logger: logger) }
            return Self.html(pages.compare(urls))
        }
        router.get("/evaluations") { _, _ in Self.html(EvaluationsPage(catalog: catalog).render()) }
        router.get("/api/metrics") { request, _ in
            let url = try Self.runDirectory(request, folder: folder, logger: logger)
            do {
                return try Self.json(MetricsResponse(rows: try catalog.metrics(of: url)))
            } catch {
                throw HTTPError(.unprocessableContent, message: "\(error)")
            }
        }
        router.get("/api/grids") { request, _ in
            let url = try Self.runDirectory(request, folder: folder, logger: logger)
            return try Self.json(pages.grids(of: url))
        }
        router.get("/file") { request, context in
            guard let path = request.uri.queryParameters.get("path"), let url = folder.resolve(path) else {
                Self.reject(request, logger: logger)
                throw HTTPError(.notFound)
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw HTTPError(.notFound)
            }
            var headers: HTTPFields = [.contentType: Self.contentType(of: url)]
            if request.uri.queryParameters.get("download") != nil {
                headers[.contentDisposition] = "attachment; filename=\"\(url.lastPathComponent.replacingOccurrences(of: "\"", with: ""))\""
            }
            let body = try await FileIO().loadFile(path: url.path, context: context)
            return Response(status: .ok, headers: headers, body: body)
        }
        router.get("/clip") { request, _ in
            guard let path = request.uri.queryParameters.get("path"), let url = folder.resolve(path), url.pathExtension == "wav",
                  let index = request.uri.queryParameters.get("index", as: Int.self) else {
                Self.reject(request, logger: logger)
                throw HTTPError(.notFound)
            }
            let clips: [AudioFile]
            do {
                clips = try RunFiles(url.deletingLastPathComponent().deletingLastPathComponent()).clips(in: url)
            } catch {
                throw HTTPError(.unprocessableContent, message: "\(error)")
            }
            guard clips.indices.contains(index) else { throw HTTPError(.notFound, message: "no clip \(index) in \(path)") }
            return Response(status: .ok, headers: [.contentType: "audio/wav"], body: .init(byteBuffer: ByteBuffer(bytes: try clips[index].encodedWAV())))
        }
        router.get("/sample") { request, _ in
            guard let path = request.uri.queryParameters.get("path"), let url = folder.resolve(path),
                  SampleQueue.runDirectory(of: url) != nil else {
                Self.reject(request, logger: logger)
                throw HTTPError(.notFound)
            }
            return Self.html(samplePages.form(path: path))
        }
        router.post("/sample") { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let fields = Self.formFields(String(buffer: body))
            let sampleRequest: SampleRequest
            let id: Int
            do {
                sampleRequest = try SampleRequest(fields: fields)
                id = try queue.submit(sampleRequest)
            } catch let error as StudioError {
                guard let path = fields["path"], folder.resolve(path) != nil else { throw HTTPError(.badRequest, message: error.description) }
                var response = Self.html(samplePages.form(path: path, error: error.description))
                response.status = error.description.contains("queue is full") ? .serviceUnavailable : .badRequest
                return response
            }
            logger.info("sample job \(id): \(sampleRequest.checkpoint), \(sampleRequest.count) as \(sampleRequest.format)")
            return Response(status: .seeOther, headers: [.location: "/job?id=\(id)"])
        }
        router.get("/job") { request, _ in
            guard let id = request.uri.queryParameters.get("id", as: Int.self), let status = queue.status(id) else { throw HTTPError(.notFound) }
            return Self.html(samplePages.job(status))
        }
        router.get("/api/job") { request, _ in
            guard let id = request.uri.queryParameters.get("id", as: Int.self), let status = queue.status(id) else { throw HTTPError(.notFound) }
            return try Self.json(status)
        }
        router.get("/static/app.css") { _, _ in Self.text(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/static/app.js") { _, _ in Self.text(Assets.script, type: "text/javascript; charset=utf-8") }
        return router
    }

    /// The app bound to `host`:`port`.
    public func application(host: String, port: Int) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "genstudio-studio"),
                    logger: logger)
    }

    private struct MetricsResponse: Encodable { var rows: [RunFiles.MetricsRow] }

    /// The run directory named by the request's `path`, or 404 (logged) when it is none under the folder.
    private static func runDirectory(_ request: Request, folder: RunsFolder, logger: Logger) throws -> URL {
        guard let path = request.uri.queryParameters.get("path") else { throw HTTPError(.badRequest, message: "give the run as ?path=") }
        do { return try runDirectory(path, folder: folder, logger: logger) } catch {
            reject(request, logger: logger)
            throw error
        }
    }

    private static func runDirectory(_ path: String, folder: RunsFolder, logger: Logger) throws -> URL {
        guard let url = folder.resolve(path), FileManager.default.fileExists(atPath: url.appendingPathComponent("recipe.toml").path) else {
            throw HTTPError(.notFound, message: "\(path) is not a run directory under the runs folder")
        }
        return url
    }

    /// Logs a request for a path outside the folder (or none there), so that probing shows up.
    private static func reject(_ request: Request, logger: Logger) {
        logger.warning("refused \(request.method) \(request.uri.string): not a file under the runs folder")
    }

    static func html(_ text: String) -> Response {
        self.text(text, type: "text/html; charset=utf-8")
    }

    static func text(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json<T: Encodable>(_ value: T) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try HTML.jsonData(value))))
    }

    static func contentType(of url: URL) -> String {
        switch url.pathExtension.lowercased() {
        case "png": return "image/png"
        case "wav": return "audio/wav"
        case "json", "jsonl": return "application/json"
        case "csv", "toml", "log", "txt": return "text/plain; charset=utf-8"
        default: return "application/octet-stream"
        }
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
