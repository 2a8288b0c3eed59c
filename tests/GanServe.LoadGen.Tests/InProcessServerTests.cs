using GanServe.LoadGen.Load;
using GanServe.LoadGen.Sweep;
using GanServe.Server.Models;
using GanServe.Server.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GanServe.LoadGen.Tests;

/// <summary>
/// The load generator against the real server in memory (the server tests' small ONNX generators): the counts
/// add up. Speeds are not checked; the runs are short.
/// </summary>
public sealed class InProcessServerTests : IAsyncLifetime
{
    private readonly TestModelRepository _repository = TestModelRepository.WithOnnxModels();
    private Factory? _factory;

    private Factory Web => _factory ?? throw new InvalidOperationException("Not started.");

    [Fact]
    public async Task RunAsync_ClosedLoopMixWithCancellations_EverySentRequestHasOneOutcome()
    {
        var settings = new LoadSettings
        {
            Url = new Uri("http://localhost/"),
            Model = TestModelRepository.Grey,
            Clients = 4,
            Duration = TimeSpan.FromMilliseconds(600),
            Warmup = TimeSpan.FromMilliseconds(100),
            Mix = RequestMix.Parse("image:png=4,image:webp=1,generate:3=2"),
            CancelFraction = 0.5,
            CancelAfter = TimeSpan.Zero,
        };
        using var client = LoadRunner.CreateClient(settings, Web.Server.CreateHandler());

        var report = await new LoadRunner(client, settings).RunAsync();

        Assert.True(report.Sent > 0);
        Assert.Equal(report.Sent, report.Answered + report.TransportErrors + report.Cancelled);
        Assert.Equal(report.Answered, report.ByStatus.Values.Sum());
        Assert.Equal([200], report.ByStatus.Keys);
        Assert.True(report.Cancelled > 0, "half the requests cancel at once");
        Assert.Equal(0, report.TransportErrors);
        Assert.Equal(report.ByStatus[200], report.LatencyOk.Count);
        Assert.InRange(report.Images, report.ByStatus[200], 3 * report.ByStatus[200]);
        Assert.InRange(report.MeanBatchSize ?? 0, 1, 64);
        Assert.Equal(TestModelRepository.Grey, report.Model);
    }

    [Fact]
    public async Task RunAsync_PhaseShorterThanOneRequest_EachClientSendsOnce()
    {
        var settings = new LoadSettings
        {
            Url = new Uri("http://localhost/"),
            Model = TestModelRepository.Grey,
            Clients = 3,
            Duration = TimeSpan.FromTicks(1),
            Warmup = TimeSpan.Zero,
        };
        using var client = LoadRunner.CreateClient(settings, Web.Server.CreateHandler());

        var report = await new LoadRunner(client, settings).RunAsync();

        Assert.Equal(3, report.Sent);
        Assert.Equal(new Dictionary<int, long> { [200] = 3 }, report.ByStatus);
        Assert.Equal(3, report.Images);
    }

    [Fact]
    public async Task RunAsync_OpenLoop_SentPlusNotSentIsTheSchedule()
    {
        var settings = new LoadSettings
        {
            Url = new Uri("http://localhost/"),
            Rate = 200,
            Duration = TimeSpan.FromMilliseconds(500),
            Warmup = TimeSpan.Zero,
            MaxOutstanding = 2,
            Mix = RequestMix.Parse("generate:2"),
            ServerTimeoutMs = 5000,
        };
        using var client = LoadRunner.CreateClient(settings, Web.Server.CreateHandler());

        var report = await new LoadRunner(client, settings).RunAsync();

        Assert.Equal(100, report.Sent + report.NotSent);
        Assert.Equal(report.Sent, report.Answered + report.TransportErrors + report.Cancelled);
        Assert.Equal(0, report.Cancelled);
        Assert.Equal(2 * report.ByStatus.GetValueOrDefault(200), report.Images);
        Assert.Equal("open", report.Mode);
        Assert.Contains(report.Model, new[] { TestModelRepository.Grey, TestModelRepository.Rgb });
    }

    [Fact]
    public async Task RunAsync_SweepOfTwoLevels_HasAPointEachAndAKnee()
    {
        var settings = new LoadSettings
        {
            Url = new Uri("http://localhost/"),
            Model = TestModelRepository.Rgb,
            Clients = 1,
            Duration = TimeSpan.FromMilliseconds(300),
            Warmup = TimeSpan.Zero,
        };
        using var client = LoadRunner.CreateClient(settings, Web.Server.CreateHandler());

        var result = await SweepRunner.RunAsync(client, settings, [2, 1], TimeSpan.FromMilliseconds(500));

        Assert.Equal([1, 2], result.Points.Select(p => p.Clients));
        Assert.InRange(result.KneeIndex, 0, 1);
        Assert.NotNull(result.Advice);
        Assert.All(result.Runs, r => Assert.Equal(r.Sent, r.ByStatus.GetValueOrDefault(200)));
        Assert.Contains("<- knee", result.ToTable(), StringComparison.Ordinal);
    }

    public async Task InitializeAsync()
    {
        _factory = new Factory(_repository.Root);
        _ = _factory.Server;
        await _factory.Services.GetRequiredService<ModelLoader>().Loading.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        _repository.Dispose();
    }

    // The server's Program is internal, so the factory is keyed on a public type of the same assembly.
    private sealed class Factory(string modelsPath) : WebApplicationFactory<ModelCatalog>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("GanServe:ModelsPath", modelsPath);
            builder.UseSetting("GanServe:Inference:Provider", "Cpu");
            builder.UseSetting("GanServe:Inference:IntraOpThreads", "1");
            builder.UseSetting("GanServe:DrainDelay", "00:00:00");
        }
    }
}
