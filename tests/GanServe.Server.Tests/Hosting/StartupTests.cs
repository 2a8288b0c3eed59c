using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GanServe.Server.Configuration;
using GanServe.Server.Hosting;
using GanServe.Server.Inference;
using GanServe.Server.Tests.Browser;
using GanServe.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Tests.Hosting;

public sealed class StartupTests : IDisposable
{
    private readonly TestModelRepository _repository = new();

    [Theory]
    [InlineData("GanServe:Batching:MaxBatchSize", "0", "GanServe:Batching:MaxBatchSize")]
    [InlineData("GanServe:Requests:MaxImagesPerRequest", "2000", "GanServe:Batching:QueueCapacity")]
    [InlineData("GanServe:Resilience:BreakDuration", "00:00:00.1", "GanServe:Resilience:BreakDuration")]
    [InlineData("GanServe:Batching:Buckets:0", "9999", "GanServe:Batching:Buckets:0")]
    [InlineData("GanServe:Security:CorsOrigins:0", "https://example.org", "GanServe:Security:CorsOrigins")]
    [InlineData("GanServe:Security:ApiKeyHashes:0", "not-a-hash", "GanServe:Security:ApiKeyHashes:0")]
    [InlineData("GanServe:Security:ApiKeyHashes:0", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", "GanServe:Security:ApiKeyHashes:0")]
    [InlineData("GanServe:Security:ApiKeys:0", " ", "GanServe:Security:ApiKeys:0")]
    [InlineData("GanServe:Security:RateLimit:PermitsPerSecond", "-1", "GanServe:Security:RateLimit:PermitsPerSecond")]
    [InlineData("GanServe:Limits:MaxRequestHeadersTotalSize", "100", "GanServe:Limits:MaxRequestHeadersTotalSize")]
    [InlineData("GanServe:Limits:MaxConcurrentConnections", "0", "GanServe:Limits:MaxConcurrentConnections")]
    [InlineData("GanServe:Limits:RequestHeadersTimeout", "00:00:00", "GanServe:Limits:RequestHeadersTimeout")]
    [InlineData("GanServe:Requests:MaxPixelsPerResponse", "99999999999999", "GanServe:Requests:MaxPixelsPerResponse must be between 1 and 1000000000")]
    [InlineData("GanServe:ShutdownTimeout", "00:00:00", "GanServe:ShutdownTimeout (00:00:00) must be at least 00:00:01")]
    [InlineData("GanServe:DrainDelay", "00:00:30", "GanServe:DrainDelay (00:00:30) must be shorter than GanServe:ShutdownTimeout")]
    [InlineData("GanServe:DrainDelay", "-00:00:01", "GanServe:DrainDelay must be between 00:00:00 and 00:10:00")]
    [InlineData("GanServe:Batching:Buckets:0", "abc", "GanServe:Batching:Buckets:0 ('abc') must be a whole number")]
    [InlineData("GanServe:Batching:Buckets:1", "1.5", "GanServe:Batching:Buckets:1 ('1.5') must be a whole number")]
    [InlineData("GanServe:Batching:Buckets", "8", "GanServe:Batching:Buckets is a list")]
    [InlineData("GanServe:Batching:MaxBtchSize", "8", "GanServe:Batching:MaxBtchSize is not a setting (GanServe:Batching has Buckets, MaxBatchSize, MaxQueueDelay, QueueCapacity)")]
    [InlineData("GanServe:Security:RateLimit:Permits", "8", "GanServe:Security:RateLimit:Permits is not a setting")]
    [InlineData("GanServe:Model", "x", "GanServe:Model is not a setting")]
    [InlineData("GanServe:Security:ApiKeys", "secret", "GanServe:Security:ApiKeys is a list")]
    [InlineData("GanServe:Security:CorsOrigins", "https://example.org", "GanServe:Security:CorsOrigins is a list")]
    [InlineData("GanServe:Security:ApiKeys:0:key", "secret", "GanServe:Security:ApiKeys:0 must be a single value")]
    [InlineData("GanServe:Security:RateLimit", "5", "GanServe:Security:RateLimit is a section, not a value")]
    [InlineData("GanServe:Limits:MaxConcurrentConnections", "3000000000", "GanServe:Limits:MaxConcurrentConnections must be between 1 and 1000000")]
    [InlineData("GanServe:Limits:MinRequestBodyBytesPerSecond", "NaN", "GanServe:Limits:MinRequestBodyBytesPerSecond must be between 0 and")]
    [InlineData("GanServe:Limits:MinRequestBodyBytesPerSecond", "1e10", "GanServe:Limits:MinRequestBodyBytesPerSecond must be between 0 and")]
    [InlineData("GanServe:Limits:MinRequestBodyGracePeriod", "00:00:01", "GanServe:Limits:MinRequestBodyGracePeriod must be longer than one second")]
    public void Start_WithBadSetting_FailsNamingTheKey(string key, string value, string named)
    {
        _repository.AddFake("fake");
        using var factory = new GanServeFactory(_repository.Root, new FakeGeneratorFactory(), settings: new Dictionary<string, string?> { [key] = value });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.IsType<OptionsValidationException>(error is AggregateException a ? a.InnerException : error);
        Assert.Contains(named, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Start_WithUnparsableSetting_FailsNamingTheKey()
    {
        _repository.AddFake("fake");
        using var factory = new GanServeFactory(_repository.Root, new FakeGeneratorFactory(), settings: new Dictionary<string, string?> { ["GanServe:Batching:MaxBatchSize"] = "lots" });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("GanServe:Batching:MaxBatchSize", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_ShaMismatchOrCorruptFile_ThatModelNotReadyNamingFileOthersServe()
    {
        _repository.AddOnnx("good", latentDim: 16, channels: 1, projectSize: 2, seed: 1);
        var mismatched = _repository.AddOnnx("tampered", latentDim: 16, channels: 1, projectSize: 2, seed: 2);
        File.AppendAllText(mismatched, "x");
        var corrupt = _repository.AddFile("corrupt", 1, [1, 2, 3, 4, 5], 16, 1, 8, 8);
        _repository.AddFile("classifier", 1, [9], 16, 1, 8, 8, kind: "classifier");
        await using var factory = new GanServeFactory(_repository.Root);
        var client = factory.CreateClient();
        await factory.WaitUntilLoadedAsync();

        using var ready = await client.GetAsync("/readyz");
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        var models = body.GetProperty("models");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("not_ready", body.GetProperty("status").GetString());
        Assert.True(models.GetProperty("good").GetProperty("ready").GetBoolean());
        Assert.Contains(mismatched, models.GetProperty("tampered").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("SHA-256", models.GetProperty("tampered").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains(corrupt, models.GetProperty("corrupt").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.False(models.TryGetProperty("classifier", out _));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models/good/images/1.png")).StatusCode);
        await HttpAssert.ProblemAsync(await client.GetAsync("/v1/models/tampered/images/1.png"), HttpStatusCode.ServiceUnavailable, "not-ready", "SHA-256");
        await HttpAssert.ProblemAsync(await client.GetAsync("/v1/models/classifier/images/1.png"), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Load_TwoVersions_HighestIsDefaultAndBothAddressable()
    {
        _repository.AddOnnx("multi", latentDim: 16, channels: 1, projectSize: 2, seed: 1, version: 1);
        _repository.AddOnnx("multi", latentDim: 16, channels: 1, projectSize: 2, seed: 2, version: 2);
        await using var factory = new GanServeFactory(_repository.Root);
        var client = factory.CreateClient();
        await factory.WaitUntilReadyAsync("multi");

        using var latest = await client.GetAsync("/v1/models/multi/images/3.png");
        using var v1 = await client.GetAsync("/v1/models/multi/versions/1/images/3.png");
        using var v2 = await client.GetAsync("/v1/models/multi/versions/2/images/3.png");

        Assert.Equal("2", latest.Headers.GetValues("X-GanServe-Model-Version").Single());
        Assert.Equal("1", v1.Headers.GetValues("X-GanServe-Model-Version").Single());
        Assert.Equal(await latest.Content.ReadAsByteArrayAsync(), await v2.Content.ReadAsByteArrayAsync());
        Assert.NotEqual(await v1.Content.ReadAsByteArrayAsync(), await v2.Content.ReadAsByteArrayAsync());
        Assert.NotEqual(latest.Headers.ETag, v1.Headers.ETag);
    }

    [Fact]
    public async Task Provider_Auto_FallsBackToCpuWhenCudaIsMissing()
    {
        _repository.AddOnnx("auto", latentDim: 16, channels: 1, projectSize: 2, seed: 1);
        await using var factory = new GanServeFactory(_repository.Root, settings: new Dictionary<string, string?> { ["GanServe:Inference:Provider"] = "Auto" });
        var client = factory.CreateClient();
        await factory.WaitUntilReadyAsync("auto");

        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models");
        var model = models.GetProperty("models")[0];
        var metrics = await client.GetStringAsync("/metrics");

        if (CudaLoads())
        {
            Assert.Equal("CUDA", model.GetProperty("provider").GetString());
            return;
        }

        Assert.Equal("CPU", model.GetProperty("provider").GetString());
        Assert.Contains("CUDA unavailable", model.GetProperty("warning").GetString(), StringComparison.Ordinal);
        Assert.Contains("ganserve_provider_info{model=\"auto\",provider=\"CPU\"} 1", metrics, StringComparison.Ordinal);
        var ready = await client.GetFromJsonAsync<JsonElement>("/readyz");
        Assert.Contains("CUDA unavailable", ready.GetProperty("models").GetProperty("auto").GetProperty("warning").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Provider_CudaWithoutCuda_RefusesToStart()
    {
        if (CudaLoads())
        {
            return; // On a GPU machine Cuda starts; the refusal cannot be shown there.
        }

        // The real process: a start-up failure inside WebApplicationFactory can surface as the factory's own
        // ObjectDisposedException instead of the server's error, so the message would not be checked reliably.
        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(
            new Dictionary<string, string> { ["GanServe__Inference__Provider"] = "Cuda" }, TimeSpan.FromSeconds(60));

        Assert.Equal(StartupFailure.ConfigurationExitCode, exitCode);
        Assert.Contains("GanServe did not start: GanServe:Inference:Provider is Cuda", output, StringComparison.Ordinal);
        Assert.Contains("Failed to load", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GanServe__Batching__MaxBatchSize", "lots", "GanServe did not start: GanServe:Batching:MaxBatchSize ('lots') must be a whole number.", true)]
    [InlineData("GanServe__Inference__Provider", "Gpu", "GanServe did not start: GanServe:Inference:Provider ('Gpu') must be Auto, Cuda or Cpu.", true)]
    [InlineData("GanServe__Batching__Buckets__0", "abc", "GanServe did not start: GanServe:Batching:Buckets:0 ('abc') must be a whole number.", true)]
    [InlineData("GanServe__Security__ApiKeys", "secret", "GanServe did not start: GanServe:Security:ApiKeys is a list: give its entries as GanServe:Security:ApiKeys:0,", true)]
    [InlineData("Logging__LogLevel__Default", "Verbose", "GanServe did not start: Logging:LogLevel ('Verbose') must be Trace, Debug, Information, Warning, Error, Critical or None.", true)]
    [InlineData("Kestrel__Endpoints__Https__Url", "https://127.0.0.1:0", "GanServe did not start: Unable to configure HTTPS endpoint (the server itself speaks plain HTTP", false)]
    [InlineData("GanServe__Batching__MaxBatchSize", "0", "GanServe did not start: GanServe:Batching:MaxBatchSize must be between 1 and 4096.", true)]
    public async Task Process_WithBadSetting_ExitsWithOneLineNamingTheKey(string variable, string value, string expected, bool onlyThatLine)
    {
        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(new Dictionary<string, string> { [variable] = value }, TimeSpan.FromSeconds(60));

        Assert.Equal(StartupFailure.ConfigurationExitCode, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        if (onlyThatLine)
        {
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        }

        // Failures while the host starts (HTTPS without a certificate) are also logged by the host itself, with
        // its stack trace, before the line; those checked above fail earlier and print nothing else.
    }

    [Fact]
    public void Describe_ConfigurationErrors_OneLineEach_OtherErrorsNotRecognised()
    {
        var invalid = new OptionsValidationException("", typeof(GanServeOptions), ["GanServe:A must be 1.", "GanServe:B must be 2."]);
        var unparsable = new InvalidOperationException("Failed to convert configuration value 'x' at 'GanServe:A' to type 'System.Int32'.", new FormatException("bad"));
        var duration = new InvalidOperationException("Failed to convert configuration value 'soon' at 'GanServe:B' to type 'System.TimeSpan'.");
        var inUse = new IOException("Failed to bind to address http://127.0.0.1:8080: address already in use.");
        var badUrl = Assert.Throws<FormatException>(() => Microsoft.AspNetCore.Http.BindingAddress.Parse("bogus"));
        var own = new InvalidOperationException("GanServe:Inference:Provider is Cuda but\nit did not load");

        Assert.Equal("GanServe did not start: GanServe:A must be 1. GanServe:B must be 2.", StartupFailure.Describe(invalid));
        Assert.Equal("GanServe did not start: GanServe:A must be 1. GanServe:B must be 2.", StartupFailure.Describe(new AggregateException(invalid)));
        Assert.Equal("GanServe did not start: GanServe:A must be 1. GanServe:B must be 2.", StartupFailure.Describe(new InvalidOperationException("wrapper", invalid)));
        Assert.Equal("GanServe did not start: GanServe:A ('x') must be a whole number.", StartupFailure.Describe(unparsable));
        Assert.Equal("GanServe did not start: GanServe:B ('soon') must be a duration such as 00:00:05 (hh:mm:ss).", StartupFailure.Describe(duration));
        Assert.Equal("GanServe did not start: Failed to bind to address http://127.0.0.1:8080: address already in use (set the address with --urls or ASPNETCORE_URLS).", StartupFailure.Describe(inUse));
        Assert.StartsWith("GanServe did not start: the listen address is not a valid URL: Invalid url: 'bogus'", StartupFailure.Describe(badUrl), StringComparison.Ordinal);
        Assert.Null(StartupFailure.Describe(new FormatException("Invalid url: 'thrown elsewhere'")));
        Assert.Null(StartupFailure.Describe(new IOException("disk full")));
        Assert.Equal("GanServe did not start: GanServe:Inference:Provider is Cuda but it did not load", StartupFailure.Describe(own));
        Assert.Null(StartupFailure.Describe(new InvalidOperationException("Sequence contains no elements")));
        Assert.Null(StartupFailure.Describe(new NullReferenceException()));
        Assert.Null(StartupFailure.Describe(new AggregateException(new IOException("a"), new IOException("b"))));
    }

    [Fact]
    public void AddGanServing_ContentRootWithoutAppSettings_ReadsTheOnesBesideTheBinaries()
    {
        var elsewhere = Directory.CreateTempSubdirectory("content-root-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = elsewhere, Args = ["--GanServe:Batching:MaxBatchSize=8"] });
        Assert.Null(builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"]);

        GanServingExtensions.ReadAppSettingsBesideTheBinariesWhenTheContentRootHasNone(builder);

        // appsettings.json's values now apply, and the command line still overrides them.
        Assert.Equal("Warning", builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"]);
        Assert.Equal("1024", builder.Configuration["GanServe:Batching:QueueCapacity"]);
        Assert.Equal("8", builder.Configuration["GanServe:Batching:MaxBatchSize"]);
        Directory.Delete(elsewhere);
    }

    [Fact]
    public async Task Readyz_NoModelsInRepository_IsNotReady()
    {
        await using var factory = new GanServeFactory(Path.Combine(_repository.Root, "missing"));
        var client = factory.CreateClient();

        using var response = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public void Resolve_RelativeModelsPath_FindsFolderBesideSolution()
    {
        var root = Path.Combine(_repository.Root, "repo");
        var app = Path.Combine(root, "src", "app", "bin");
        Directory.CreateDirectory(app);
        Directory.CreateDirectory(Path.Combine(root, "models"));
        File.WriteAllText(Path.Combine(root, "GanServe.sln"), string.Empty);

        var fromElsewhere = ModelsPathResolver.Resolve("models", currentDirectory: _repository.Root, baseDirectory: app);
        var fromRoot = ModelsPathResolver.Resolve("models", currentDirectory: root, baseDirectory: app);
        var absolute = ModelsPathResolver.Resolve("/srv/models", currentDirectory: root, baseDirectory: app);

        Assert.Equal(Path.Combine(root, "models"), fromElsewhere);
        Assert.Equal(Path.Combine(root, "models"), fromRoot);
        Assert.Equal("/srv/models", absolute);
    }

    public void Dispose() => _repository.Dispose();

    private static bool CudaLoads()
    {
        var options = Options.Create(new GanServeOptions { Inference = { Provider = ExecutionProviderChoice.Cuda } });
        try
        {
            new ExecutionProviders(options).CreateSessionOptions().Options.Dispose();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
