using System.Net;
using GanServe.Server.Tests.Support;
using k8s.Models;

namespace GanServe.Server.Tests.Deployment;

/// <summary>The rendered overlays against the app itself, in memory with each overlay's settings: the probed and scraped paths exist.</summary>
public sealed class ManifestAppTests : IDisposable
{
    public const string QueueDepthMetric = "ganserve_queue_depth";
    private const string Model = "fake";

    // Settings the in-memory server must keep its own way: a temporary model repository, no CUDA
    // (the GPU overlay requires it), and no drain delay on disposal.
    private static readonly string[] HostOwned = ["ModelsPath", "Inference__Provider", "DrainDelay"];

    private readonly TestModelRepository _repository = new();

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public async Task Probes_Overlay_ArePathsTheAppServes(string overlay)
    {
        var rendered = Kustomize.Overlay(overlay);
        await using var factory = Start(rendered);
        var client = factory.CreateClient();
        var container = rendered.Server;

        // While models load /readyz may answer 503; an unknown path would be 404.
        foreach (var probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
        {
            using var early = await client.GetAsync(probe.HttpGet.Path);
            Assert.Contains(early.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
        }

        await factory.WaitUntilReadyAsync(Model);

        foreach (var probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
        {
            Assert.Equal("HTTP", probe.HttpGet.Scheme ?? "HTTP");
            using var ready = await client.GetAsync(probe.HttpGet.Path);
            Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{probe.HttpGet.Path} answered {(int)ready.StatusCode} with the model ready.");
        }

        Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
    }

    [KubectlTheory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public async Task PrometheusAnnotations_Overlay_PointAtTheMetricsTheAutoscalerUses(string overlay)
    {
        var rendered = Kustomize.Overlay(overlay);
        var annotations = rendered.Deployment.Spec.Template.Metadata.Annotations;
        await using var factory = Start(rendered);
        var client = factory.CreateClient();
        await factory.WaitUntilReadyAsync(Model);

        Assert.Equal("true", annotations["prometheus.io/scrape"]);
        using var response = await client.GetAsync(annotations["prometheus.io/path"]);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains($"{QueueDepthMetric}{{model=\"{Model}\"}}", text, StringComparison.Ordinal);
        foreach (var metric in rendered.Autoscaler.Spec.Metrics.Where(m => m.Type == "Pods"))
        {
            Assert.Contains(metric.Pods.Metric.Name + "{", text, StringComparison.Ordinal);
        }
    }

    public void Dispose() => _repository.Dispose();

    private GanServeFactory Start(RenderedOverlay rendered)
    {
        _repository.AddFake(Model);
        var settings = ManifestSettings.AsConfiguration(rendered.Settings
            .Where(kv => !HostOwned.Any(owned => kv.Key == ManifestSettings.Prefix + owned)));
        return new GanServeFactory(_repository.Root, new FakeGeneratorFactory(), settings: settings);
    }
}
