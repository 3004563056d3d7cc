import Foundation
import Hummingbird
import HummingbirdTesting
import StudioIO
import StudioTraining
import XCTest
@testable import StudioServer

/// Every route of `genstudio studio` through Hummingbird's in-process test client, over a runs folder
/// with a GAN, a diffusion run, an audio run, an augmentation job, an evaluation report and a
/// corrupt run.
final class StudioServerTests: XCTestCase {
    private func withStudio(_ body: (any TestClientProtocol, StudioServer) async throws -> Void) async throws {
        let server = try StudioServer(runs: try StudioFixture.runsFolder())
        let app = Application(router: server.router())
        try await app.test(.router) { client in try await body(client, server) }
    }

    private func get(_ client: any TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: .get) { ($0.status, String(buffer: $0.body)) }
    }

    func testTheRunsPageListsEveryRunWithItsFamilyStateAndLatestGrid() async throws {
        try await withStudio { client, _ in
            let (status, page) = try await get(client, "/")
            XCTAssertEqual(status, .ok)
            for run in ["outputs/tiny-gan/run-a", "outputs/tiny-ddpm/run-b", "outputs/tiny-specgan/run-c", "outputs/tiny-ddpm/run-corrupt"] {
                XCTAssertTrue(page.contains("/run?path=\(run)\""), "\(run) missing")
            }
            XCTAssertTrue(page.contains("/file?path=outputs/tiny-gan/run-a/samples/step-000004.png"), page)
            XCTAssertTrue(page.contains(">diffusion<") && page.contains(">gan<"))
            XCTAssertTrue(page.contains("<span class=\"state finished\">finished</span>"))
            XCTAssertTrue(page.contains("<span class=\"state failed\">failed</span>"), "the corrupt run should show as failed")
            let (_, filtered) = try await get(client, "/?q=diffusion&sort=path")
            XCTAssertTrue(filtered.contains("run-b") && !filtered.contains("run-a\""))
            XCTAssertLessThan(filtered.range(of: "run-b")!.lowerBound, filtered.range(of: "run-corrupt")!.lowerBound)
        }
    }

    func testARunsPageShowsEveryGridItsCheckpointsRecipeAndMetrics() async throws {
        try await withStudio { client, _ in
            let (status, page) = try await get(client, "/run?path=outputs/tiny-gan/run-a")
            XCTAssertEqual(status, .ok)
            XCTAssertTrue(page.contains("\"step\":2") && page.contains("\"step\":4"), "the slider lists every grid")
            XCTAssertTrue(page.contains("class=\"grid-slider\" min=\"0\" max=\"1\""))
            XCTAssertTrue(page.contains("/sample?path=outputs/tiny-gan/run-a/checkpoints/step-000002"))
            XCTAssertTrue(page.contains("latent_size = 8"), "the recipe is shown")
            let (metricsStatus, metrics) = try await get(client, "/api/metrics?path=outputs/tiny-gan/run-a")
            XCTAssertEqual(metricsStatus, .ok)
            let rows = try JSONDecoder().decode([String: [RunFiles.MetricsRow]].self, from: Data(metrics.utf8))["rows"]!
            XCTAssertEqual(rows.map(\.step), [1, 2, 3, 4])
            XCTAssertNotNil(rows[0].values["loss_d"])
            let (gridsStatus, grids) = try await get(client, "/api/grids?path=outputs/tiny-gan/run-a")
            XCTAssertEqual(gridsStatus, .ok)
            XCTAssertEqual(try JSONDecoder().decode([GridEntry].self, from: Data(grids.utf8)).map(\.step), [2, 4])
        }
    }

    func testAnAudioRunShowsAPlayerForEachPreview() async throws {
        try await withStudio { client, _ in
            let (_, page) = try await get(client, "/run?path=outputs/tiny-specgan/run-c")
            XCTAssertTrue(page.contains("<audio controls"), page)
            XCTAssertTrue(page.contains("samples/step-000002.wav"))
            XCTAssertTrue(page.contains("data-index=\"1\"") && !page.contains("data-index=\"2\""), "one player per clip of sample.count = 2")
            try await client.execute(uri: "/clip?path=outputs/tiny-specgan/run-c/samples/step-000002.wav&index=1", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let clip = try AudioFile.decode(Data(buffer: response.body))
                XCTAssertEqual(clip.sampleRate, 4000)
                XCTAssertEqual(clip.samples.count, 240)
                let joined = try AudioFile.read(from: try StudioFixture.runsFolder()
                    .appendingPathComponent("outputs/tiny-specgan/run-c/samples/step-000002.wav"))
                XCTAssertEqual(clip.samples, Array(joined.samples[(240 + 1000)..<(240 + 1000 + 240)]))
            }
            let (missing, _) = try await get(client, "/clip?path=outputs/tiny-specgan/run-c/samples/step-000002.wav&index=2")
            XCTAssertEqual(missing, .notFound)
            try await client.execute(uri: "/file?path=outputs/tiny-specgan/run-c/samples/step-000002.wav", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "audio/wav")
                XCTAssertEqual(String(buffer: response.body).prefix(4), "RIFF")
            }
        }
    }

    func testFilesOutsideTheRunsFolderAreNotServed() async throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("studio-outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: outside.appendingPathComponent("secret.txt"))
        let link = try StudioFixture.runsFolder().appendingPathComponent("link-out")
        try? FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
        defer { try? FileManager.default.removeItem(at: link) }
        try await withStudio { client, _ in
            for uri in ["/file?path=../secret.txt", "/file?path=%2e%2e/%2e%2e/etc/passwd", "/file?path=/etc/passwd",
                        "/file?path=link-out/secret.txt", "/file?path=outputs/%252e%252e/%252e%252e/etc/passwd",
                        "/file?path=outputs/tiny-gan/run-a/..%2f..%2f..%2fetc%2fpasswd", "/file?path=outputs",
                        "/run?path=../", "/run?path=link-out", "/sample?path=/etc", "/file?path=outputs/nothing.png"] {
                let (status, body) = try await get(client, uri)
                XCTAssertEqual(status, .notFound, uri)
                XCTAssertFalse(body.contains("secret") || body.contains("root:"), uri)
            }
            let (status, _) = try await get(client, "/file?path=outputs/tiny-gan/run-a/metrics.csv")
            XCTAssertEqual(status, .ok)
        }
    }

    func testBadParametersGetClearAnswers() async throws {
        try await withStudio { client, _ in
            let status1 = try await get(client, "/run").0
            XCTAssertEqual(status1, .badRequest)
            let status2 = try await get(client, "/compare?path=outputs/tiny-gan/run-a").0
            XCTAssertEqual(status2, .badRequest)
            let status3 = try await get(client, "/job?id=abc").0
            XCTAssertEqual(status3, .notFound)
            let status4 = try await get(client, "/api/job?id=999").0
            XCTAssertEqual(status4, .notFound)
            let body = ByteBuffer(string: "path=outputs/tiny-ddpm/run-b&count=100000")
            try await client.execute(uri: "/sample", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: body) {
                XCTAssertEqual($0.status, .badRequest)
                XCTAssertTrue(String(buffer: $0.body).contains("count: expected a whole number in 1...256, got &#39;100000&#39;"))
            }
            let unknown = ByteBuffer(string: "path=../../etc&count=4")
            try await client.execute(uri: "/sample", method: .post, body: unknown) { XCTAssertEqual($0.status, .badRequest) }
        }
    }

    func testACorruptRunShowsItsErrorAndEverythingElseStillServes() async throws {
        try await withStudio { client, _ in
            let (status, page) = try await get(client, "/run?path=outputs/tiny-ddpm/run-corrupt")
            XCTAssertEqual(status, .ok)
            XCTAssertTrue(page.contains("line 2 is not a metrics row"), page)
            let status5 = try await get(client, "/api/metrics?path=outputs/tiny-ddpm/run-corrupt").0
            XCTAssertEqual(status5, .unprocessableContent)
            let status6 = try await get(client, "/run?path=outputs/tiny-ddpm/run-b").0
            XCTAssertEqual(status6, .ok)
        }
    }

    func testCompareShowsTheRunsGridsAtMatchingSteps() async throws {
        try await withStudio { client, _ in
            let (status, page) = try await get(client, "/compare?path=outputs/tiny-ddpm/run-b&path=outputs/tiny-gan/run-a")
            XCTAssertEqual(status, .ok)
            XCTAssertTrue(page.contains("[&quot;outputs/tiny-ddpm/run-b&quot;,&quot;outputs/tiny-gan/run-a&quot;]"), "both runs' metrics are charted")
            XCTAssertTrue(page.contains("samples/step-000002.png"), "step 2 is common to both")
            XCTAssertFalse(page.contains("run-a/samples/step-000004.png\""), "step 4 is not")
        }
    }

    func testEvaluationsShowReportsAndAugmentationManifests() async throws {
        try await withStudio { client, _ in
            let (status, page) = try await get(client, "/evaluations")
            XCTAssertEqual(status, .ok)
            XCTAssertTrue(page.contains("evaluations/few-shot/report.json"))
            XCTAssertTrue(page.contains("test_accuracy") && page.contains("79.8"))
            XCTAssertTrue(page.contains("class=\"histogram\""))
            XCTAssertTrue(page.contains("synth/cgan") && page.contains("complete"), page)
        }
    }

    func testSamplingFromTheFormWritesWhatGenstudioSampleWrites() async throws {
        try await withStudio { client, server in
            let (formStatus, form) = try await get(client, "/sample?path=outputs/tiny-ddpm/run-b")
            XCTAssertEqual(formStatus, .ok)
            XCTAssertTrue(form.contains("name=\"guidance\"") && form.contains("name=\"sampler\""), "a diffusion form has its options")
            let body = ByteBuffer(string: "path=outputs%2Ftiny-ddpm%2Frun-b&count=4&seed=3&sampler=ddim&denoising_steps=3&format=png")
            let location = try await client.execute(uri: "/sample", method: .post, body: body) { response -> String in
                XCTAssertEqual(response.status, .seeOther)
                return response.headers[.location] ?? ""
            }
            XCTAssertEqual(location, "/job?id=1")
            var status = server.queue.status(1)!
            let deadline = Date().addingTimeInterval(60)
            while status.state != .done && status.state != .failed && Date() < deadline {
                try await Task.sleep(nanoseconds: 50_000_000)
                status = server.queue.status(1)!
            }
            XCTAssertEqual(status.state, .done, status.message)
            let output = try XCTUnwrap(status.output)
            XCTAssertTrue(output.hasPrefix("outputs/tiny-ddpm/run-b/studio-samples/"), output)
            let (jobStatus, json) = try await get(client, "/api/job?id=1")
            XCTAssertEqual(jobStatus, .ok)
            XCTAssertTrue(json.contains("\"state\":\"done\""))

            // What `genstudio sample run-b --count 4 --seed 3 --sampler ddim --denoising-steps 3 --out x.png` does.
            var options = SamplingOptions()
            options.sampler = .ddim
            options.steps = 3
            let root = try StudioFixture.runsFolder()
            let model = try GeneratorLoader.load(checkpoint: root.appendingPathComponent("outputs/tiny-ddpm/run-b"), options: options)
            let expected = FileManager.default.temporaryDirectory.appendingPathComponent("studio-expected-\(UUID().uuidString).png")
            var job = SampleJob()
            job.count = 4
            job.seed = 3
            _ = try job.run(model, output: try SampleOutput(url: expected, model: model, wavFormat: nil, imageOnly: [], seed: 3))
            XCTAssertEqual(try Data(contentsOf: root.appendingPathComponent(output)), try Data(contentsOf: expected))
            let (fileStatus, _) = try await get(client, "/file?path=\(output)&download=1")
            XCTAssertEqual(fileStatus, .ok)
        }
    }

    func testAFullQueueRefusesMoreJobs() throws {
        let queue = SampleQueue(folder: try RunsFolder(try StudioFixture.runsFolder()), working: false)
        var request = SampleRequest(checkpoint: "outputs/tiny-ddpm/run-b")
        request.count = 4
        for expected in 1...SampleQueue.capacity { XCTAssertEqual(try queue.submit(request), expected) }
        XCTAssertThrowsError(try queue.submit(request)) { XCTAssertTrue("\($0)".contains("queue is full"), "\($0)") }
        XCTAssertEqual(queue.status(SampleQueue.capacity)?.state, .queued)
        XCTAssertThrowsError(try queue.submit(SampleRequest(checkpoint: "synth/cgan"))) {
            XCTAssertTrue("\($0)".contains("is not a run directory"), "\($0)")
        }
    }

    func testStaticAssetsAreServedByTheBinary() async throws {
        try await withStudio { client, _ in
            try await client.execute(uri: "/static/app.js", method: .get) {
                XCTAssertEqual($0.status, .ok)
                XCTAssertTrue(String(buffer: $0.body).contains("function drawChart"))
            }
            let status7 = try await get(client, "/static/app.css").0
            XCTAssertEqual(status7, .ok)
        }
    }
}

/// The parsed-metrics cache: a changed file is read again, an unchanged one is not.
final class MetricsCacheTests: XCTestCase {
    func testAGrowingMetricsFileIsReadAgain() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: run) }
        let file = run.appendingPathComponent("metrics.jsonl")
        try Data("{\"step\":1,\"loss\":0.5}\n".utf8).write(to: file)
        let modified = Date(timeIntervalSince1970: 1_600_000_000)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: file.path)
        let cache = MetricsCache()
        XCTAssertEqual(try cache.rows(of: RunFiles(run)).map(\.step), [1])
        // Same size and time: the parsed rows are reused, not the file read again.
        try Data("{\"step\":7,\"loss\":0.5}\n".utf8).write(to: file)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: file.path)
        XCTAssertEqual(try cache.rows(of: RunFiles(run)).map(\.step), [1])
        try Data("{\"step\":1,\"loss\":0.5}\n".utf8).write(to: file)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: file.path)
        let handle = try FileHandle(forWritingTo: file)
        handle.seekToEndOfFile()
        handle.write(Data("{\"step\":2,\"loss\":0.4}\n".utf8))
        try handle.close()
        XCTAssertEqual(try cache.rows(of: RunFiles(run)).map(\.step), [1, 2])
        try Data("{\"step\":1,\"loss\":0.5}\nbroken\n{\"step\":3,\"loss\":0.4}\n".utf8).write(to: file)
        XCTAssertThrowsError(try cache.rows(of: RunFiles(run)))
    }
}
