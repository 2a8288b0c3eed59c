using System.Buffers.Binary;
using GanServe.Cli.Tests.Support;

namespace GanServe.Cli.Tests;

public sealed class CliTests(CliServer server) : IClassFixture<CliServer>, IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "ganserve-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out))
        {
            Directory.Delete(_out, recursive: true);
        }
    }

    [Fact]
    public async Task Generate_SeedRanges_WritesOneFilePerSeedEqualToTheServersImage()
    {
        var (code, output) = await server.RunAsync("generate", "--model", "grey", "--seeds", "0-2,42", "--out", _out);

        Assert.True(code == ExitCodes.Success, output);
        Assert.Equal(["seed0000.png", "seed0001.png", "seed0002.png", "seed0042.png"], Directory.GetFiles(_out).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var http = server.Web.CreateClient();
        Assert.Equal(await http.GetByteArrayAsync("/v1/models/grey/images/42.png"), await File.ReadAllBytesAsync(Path.Combine(_out, "seed0042.png")));
    }

    [Fact]
    public async Task Generate_ManySeedsInSmallBatches_WritesEveryFileWithProgress()
    {
        var (code, output) = await server.RunAsync("generate", "-m", "rgb", "--seeds", "100-119", "--batch", "6", "--format", "webp", "--truncation", "0.7", "--out", _out);

        Assert.True(code == ExitCodes.Success, output);
        Assert.Equal(20, Directory.GetFiles(_out, "seed*.webp").Length);
        Assert.Contains("Wrote 20 images from rgb", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_Grid_WritesOnePngOfTheGridSize()
    {
        var file = Path.Combine(_out, "grid.png");

        var (code, output) = await server.RunAsync("generate", "-m", "grey", "--seeds", "0-5", "--grid", "--columns", "3", "--out", file);

        Assert.True(code == ExitCodes.Success, output);
        var png = await File.ReadAllBytesAsync(file);
        Assert.Equal(3 * 28, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(2 * 28, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public async Task Models_Always_ListsEveryModel()
    {
        var (code, output) = await server.RunAsync("models");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("grey", output, StringComparison.Ordinal);
        Assert.Contains("3x16x16", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthAndStats_ReadyServer_ExitZero()
    {
        var health = await server.RunAsync("health");
        var stats = await server.RunAsync("stats");

        Assert.Equal(ExitCodes.Success, health.ExitCode);
        Assert.Contains("status: ready", health.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, stats.ExitCode);
        Assert.Contains("uptime", stats.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_UnknownModel_ExitsWithServerErrorAndTheDetail()
    {
        var (code, output) = await server.RunAsync("generate", "-m", "nope", "--seeds", "1", "--out", _out);

        Assert.Equal(ExitCodes.ServerError, code);
        Assert.Contains("no model named 'nope'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_NoModelWithSeveralServed_ExitsWithUsage()
    {
        var (code, output) = await server.RunAsync("generate", "--seeds", "1", "--out", _out);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--model", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "generate", "--out", "x" }, "--seeds is required")]
    [InlineData(new[] { "generate", "--seeds", "3-1", "--out", "x" }, "runs backwards")]
    [InlineData(new[] { "generate", "--seeds", "1" }, "--out is required")]
    [InlineData(new[] { "generate", "--seeds", "1", "--out", "x", "--format", "gif" }, "'gif' is not known")]
    [InlineData(new[] { "generate", "--seeds", "1", "--out", "x", "--truncation", "1.5" }, "--truncation")]
    [InlineData(new[] { "models", "--url", "ftp://x" }, "not an http(s) address")]
    [InlineData(new[] { "models", "--timeout", "0" }, "--timeout must be between 1 and 3600")]
    [InlineData(new[] { "paint" }, "paint")]
    public async Task Run_BadCommandLine_ExitsWithUsage(string[] args, string messagePart)
    {
        var (code, output) = await server.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(messagePart, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_UnreachableServer_ExitsWithUnreachable()
    {
        var console = new Spectre.Console.Testing.TestConsole();
        var clients = new Hosting.ClientFactory(() => new RefusingHandler());

        var code = await GanServeCli.RunAsync(["health"], console, clients, CancellationToken.None);

        Assert.Equal(ExitCodes.Unreachable, code);
        Assert.Contains("Cannot reach the server", console.Output, StringComparison.Ordinal);
    }

    private sealed class RefusingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Connection refused (localhost:8080)");
    }
}
